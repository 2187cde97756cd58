"""The eligibility engine: which programs a profile can get on a date, and why not.

For every program the answer is one of:

* ``eligible``: every condition holds;
* ``maybe``: nothing fails, but some conditions need answers; ``missing`` lists the
  answered fields they need (``age`` asks for ``birth_date``, and so on);
* ``not_eligible``: ``reasons`` lists every reason that applies: the program is
  already received, it can't be combined with one already received (same
  exclusion group), and the reason of each condition that fails.

So ``reasons`` is non-empty exactly when not eligible and ``missing`` non-empty
exactly when maybe.

Speed matters: a national catalog has about 6,700 programs and the target is
5 ms per profile; see :class:`CompiledCatalog` and ``bench/eligibility.py``.
"""

from __future__ import annotations

import json
import operator
import sys
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import reduce
from itertools import compress, count
from typing import Any, Literal, NamedTuple, cast

from portal.catalog.schema import Call, Program
from portal.eligibility.profile import (
    ANSWERED_FIELDS,
    DEFAULT_STATE_CODE,
    FIELDS,
    Kind,
    derive,
    sources_of,
)


class Status(StrEnum):
    ELIGIBLE = "eligible"
    MAYBE = "maybe"
    NOT_ELIGIBLE = "not_eligible"


ALREADY_RECEIVES = "Ya recibe este programa."
CANNOT_COMBINE = "No se puede combinar con {name}, que ya recibe."


class Result(NamedTuple):
    """The verdict on one program. A NamedTuple because thousands are built per profile."""

    program: str
    status: Status
    reasons: tuple[str, ...]
    missing: tuple[str, ...]
    call_open: bool
    call: Call | None  # the call open on the date, else the next one, else None
    quota_full: bool  # the open call has no places left

    def to_dict(self) -> dict[str, Any]:
        """The shape printed by ``flask eligibility check``."""
        return {
            "program": self.program,
            "status": str(self.status),
            "reasons": list(self.reasons),
            "missing": list(self.missing),
            "call_open": self.call_open,
        }


def _holds(op: str, limit: Any, value: Any) -> bool:
    """Whether ``value <op> limit`` for the operators that compare one value."""
    if op == "eq":
        return value == limit
    if op == "ne":
        return value != limit
    if op == "lt":
        return value < limit
    if op == "lte":
        return value <= limit
    if op == "gt":
        return value > limit
    if op == "gte":
        return value >= limit
    if op == "between":
        return limit[0] <= value <= limit[1]
    if op == "in":
        return value in limit
    if op == "not_in":
        return value not in limit
    raise ValueError(f"operator {op!r} does not compare one value")


class _OrderedIndex:
    """Conditions on one ordered quantity (a number, a day, the youngest child's age).

    Which of them fail can only change at the values they mention, so compiling
    cuts the line at those values and records, for each piece, the bits of the
    conditions failing there; a profile's value then needs one bisection.
    Pieces alternate: below the first cut, the first cut itself, between the
    first and second, the second itself, and so on, and above the last.
    """

    def __init__(self, checks: Iterable[tuple[str, Any, int]]):
        checks = list(checks)  # (op, limit, bits)
        cuts: set[Any] = set()
        for op, limit, _ in checks:
            cuts.update(limit if op in ("between", "in", "not_in") else (limit,))
        self.cuts = sorted(cuts)
        samples: list[Any] = []
        for i, cut in enumerate(self.cuts):
            samples.append(cut - 1 if i == 0 else (self.cuts[i - 1] + cut) / 2)
            samples.append(cut)
        samples.append(self.cuts[-1] + 1)
        self.piece_bits = [
            reduce(
                operator.or_, (bits for op, limit, bits in checks if not _holds(op, limit, v)), 0
            )
            for v in samples
        ]

    def failed_bits(self, value: Any) -> int:
        i = bisect_left(self.cuts, value)
        if i < len(self.cuts) and self.cuts[i] == value:
            return self.piece_bits[2 * i + 1]
        return self.piece_bits[2 * i]


class _ValueIndex:
    """Conditions on one value out of a set (a choice, a municipality, yes or no).

    "eq"/"in" tests fail unless the value is theirs, "ne"/"not_in" fail only if
    it is. So a value's failed bits are: all of the former, minus (XOR: each test
    owns its bits) those naming the value, plus the latter naming it; both are
    combined per value when compiling.
    """

    def __init__(self, checks: Iterable[tuple[str, Any, int]]):
        self.unless_named = 0
        self.named_hold: dict[Any, int] = {}
        self.named_fail: dict[Any, int] = {}
        for op, limit, bits in checks:
            # Once each: XOR-ing a value's bits twice would undo them.
            named = dict.fromkeys(limit if op in ("in", "not_in") else (limit,))
            if op in ("eq", "in"):
                self.unless_named |= bits
                for value in named:
                    self.named_hold[value] = self.named_hold.get(value, 0) ^ bits
            else:
                for value in named:
                    self.named_fail[value] = self.named_fail.get(value, 0) | bits

    def failed_bits(self, value: Any) -> int:
        return (self.unless_named ^ self.named_hold.get(value, 0)) | self.named_fail.get(value, 0)


def _youngest(ages: tuple[int, ...]) -> float:
    # No children: no child is younger than any limit, so +inf makes every any_lt fail.
    return min(ages) if ages else float("inf")


def _eldest(ages: tuple[int, ...]) -> float:
    return max(ages) if ages else float("-inf")


def predicate(op: str, limit: Any) -> Callable[[Any], bool]:
    """One condition as a test of one value, with the engine's meaning.

    For code that judges a single condition at a time (roll imports), so every
    operator means exactly what it means in ``evaluate``.
    """
    if op == "any_lt":
        return lambda ages: _youngest(tuple(ages)) < limit
    if op == "any_gte":
        return lambda ages: _eldest(tuple(ages)) >= limit
    if op == "is_true":
        return lambda value: value is True
    if op == "is_false":
        return lambda value: value is False
    if op in ("in", "not_in"):
        limit = frozenset(limit)
    return lambda value: _holds(op, limit, value)


class _FieldIndex:
    """All the tests on one profile field: value in, bits of the failing ones out."""

    def __init__(self, field: str, checks: list[tuple[str, Any, int]]):
        self.field = field
        self.bits = reduce(operator.or_, (bits for _, _, bits in checks), 0)
        kind = FIELDS[field].kind
        # Each part: how to read the value, and the index of the tests on that reading.
        self.parts: list[tuple[Callable[[Any], Any], _OrderedIndex | _ValueIndex]] = []
        if kind is Kind.AGES:
            for op, read, as_op in (("any_lt", _youngest, "lt"), ("any_gte", _eldest, "gte")):
                mine = [(as_op, limit, bits) for o, limit, bits in checks if o == op]
                if mine:
                    self.parts.append((read, _OrderedIndex(mine)))
        elif kind is Kind.DATE:
            mine = [(op, _ordinals(limit), bits) for op, limit, bits in checks]
            self.parts.append((date.toordinal, _OrderedIndex(mine)))
        elif kind in (Kind.INTEGER, Kind.MONEY):
            self.parts.append((_same, _OrderedIndex(checks)))
        else:
            # Booleans too: is_true is "eq True" and is_false "eq False".
            as_eq = {"is_true": ("eq", True), "is_false": ("eq", False)}
            mine = [(*as_eq.get(op, (op, limit)), bits) for op, limit, bits in checks]
            self.parts.append((_same, _ValueIndex(mine)))

    def failed_bits(self, value: Any) -> int:
        bits = 0
        for read, index in self.parts:
            bits |= index.failed_bits(read(value))
        return bits


def _same(value: Any) -> Any:
    return value


def _ordinals(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(v.toordinal() for v in value)
    return value.toordinal()


class CompiledCatalog:
    """Programs prepared for fast, repeated evaluation. Build it once per catalog.

    Each program owns a *lane* of bits in one big integer, one bit per condition.
    Conditions are grouped by field and indexed (:class:`_OrderedIndex`,
    :class:`_ValueIndex`) so that a profile's value gives, in a step or two, the
    integer with the bits of every condition on that field that fails, in every
    program's lane. OR-ing one such integer per field and reading the lanes back
    in C gives each program the small number "which of my conditions failed".

    A program's verdict depends only on that number (plus the date, enrollment
    and quotas, handled apart), so verdicts are memoized per program under it:
    everyone whose answers play out the same way for a program gets the same
    immutable Result. A national catalog then costs a few C-level passes per
    profile instead of thousands of Python steps. ``maybe`` verdicts are judged
    afresh, since the answers they ask for depend on what was answered "No sé".
    """

    MEMO_LIMIT = 200_000  # verdicts kept across profiles (about 40 MB) before starting over

    def __init__(self, programs: Sequence[Program]):
        self.programs: tuple[Program, ...] = tuple(programs)
        lane_bits = _lane_bits(max((len(p.eligibility) for p in self.programs), default=0))
        self._lane_bytes = lane_bits // 8

        # A test is what a condition checks, without its reason: programs sharing
        # "age gte 18" share one test, whatever words they use to explain it.
        slots_by_test: dict[tuple[str, str, Any], list[int]] = {}
        for k, program in enumerate(self.programs):
            for slot, c in enumerate(program.eligibility):
                slots_by_test.setdefault((c.field, c.op, c.value), []).append(k * lane_bits + slot)
        self.distinct_tests = len(slots_by_test)
        by_field: dict[str, list[tuple[str, Any, int]]] = {}
        for (field, op, value), slots in slots_by_test.items():
            by_field.setdefault(field, []).append((op, value, self._bits(slots)))
        self._fields = tuple(_FieldIndex(name, checks) for name, checks in by_field.items())

        self._index = {p.slug: k for k, p in enumerate(self.programs)}
        groups: dict[str, list[int]] = {}
        for k, program in enumerate(self.programs):
            if program.exclusion_group:
                groups.setdefault(program.exclusion_group, []).append(k)
        self._groups = {name: tuple(members) for name, members in groups.items()}

        self._memo = _Memo(None, [], [], ())

    def evaluate(
        self,
        profile: Mapping[str, Any],
        on: date,
        *,
        state_code: str = DEFAULT_STATE_CODE,
        quota_used: Mapping[str, int] | None = None,
    ) -> list[Result]:
        """See :func:`evaluate`."""
        results, _memo, _failed, _fresh = self._evaluate(profile, on, state_code)
        for slug, used in (quota_used or {}).items():
            position = self._index.get(slug)
            if position is None:
                continue
            result = results[position]
            open_call = result.call if result.call_open else None
            if open_call is not None and open_call.quota is not None and used >= open_call.quota:
                results[position] = result._replace(quota_full=True)
        return results

    def evaluate_json(
        self, profile: Mapping[str, Any], on: date, *, state_code: str = DEFAULT_STATE_CODE
    ) -> str:
        """The verdicts as the JSON line ``flask eligibility check`` prints.

        The same text as ``json.dumps([r.to_dict() for r in results], ensure_ascii=False)``,
        without building and encoding a dictionary per program for every profile:
        a remembered verdict's JSON is remembered with it, so a profile costs the
        lanes, the few verdicts judged afresh and one join of 6,700 short strings.
        """
        results, memo, failed, fresh = self._evaluate(profile, on, state_code)
        encoded: list[str | None] = list(map(dict.get, memo.encoded, failed))
        for k in fresh:
            encoded[k] = None  # judged afresh (maybe, or enrollment): its own JSON
        fresh_set = set(fresh)
        for k in list(compress(count(), map(operator.not_, encoded))):
            text = json.dumps(results[k].to_dict(), ensure_ascii=False)
            encoded[k] = text
            if k not in fresh_set:
                memo.encoded[k][failed[k]] = text
        return "[" + ", ".join(cast(list[str], encoded)) + "]"

    def _evaluate(
        self, profile: Mapping[str, Any], on: date, state_code: str
    ) -> tuple[list[Result], _Memo, list[int], list[int]]:
        """The results (quotas not applied), the memo used, each program's failed
        lane and the positions judged afresh (never remembered)."""
        values = derive(profile, on, state_code)
        failed_bits = undecided_bits = 0
        needs: dict[str, tuple[str, ...]] = {}  # undecided field: answers it waits for
        for index in self._fields:
            value = values.get(index.field)
            if value is None:  # not asked, or "No sé"
                needs[index.field] = _still_needed(index.field, profile)
                undecided_bits |= index.bits
            else:
                failed_bits |= index.failed_bits(value)

        memo = self._memo_on(on)
        failed = self._lanes(failed_bits)
        undecided = self._lanes(undecided_bits) if undecided_bits else None
        found: list[Result | None] = list(map(dict.get, memo.verdicts, failed))
        fresh: list[int] = []
        if undecided is not None:
            # Nothing failed but something is undecided: maybe, never memoized.
            nothing_failed = map(operator.not_, failed)
            waiting = map(operator.truth, undecided)
            fresh = list(compress(count(), map(operator.and_, nothing_failed, waiting)))
            for k in fresh:
                found[k] = None
        # Enrollment is not in the lanes either.
        extra = self._enrollment_reasons(values.get("enrolled") or ())
        for k in extra:
            found[k] = None
        fresh.extend(extra)
        for k in list(compress(count(), map(operator.not_, found))):
            result = self._judge(
                k,
                failed[k],
                undecided[k] if undecided is not None else 0,
                needs,
                extra.get(k, ()),
                memo.calls[k],
            )
            found[k] = result
            if k not in extra and result.status is not Status.MAYBE:
                memo.verdicts[k][failed[k]] = result
                memo.size += 1
        return cast(list[Result], found), memo, failed, fresh

    def _bits(self, positions: list[int]) -> int:
        """The integer with the given bits set, built through bytes to stay linear."""
        data = bytearray(self._lane_bytes * len(self.programs))
        for bit in positions:
            data[bit >> 3] |= 1 << (bit & 7)
        return int.from_bytes(data, "little")

    def _lanes(self, number: int) -> list[int]:
        """Each program's lane of ``number``, as small ints, in program order."""
        size = self._lane_bytes
        data = number.to_bytes(size * len(self.programs), "little")
        if size == 1 or (size in _LANE_FORMATS and sys.byteorder == "little"):
            return memoryview(data).cast(_LANE_FORMATS[size]).tolist()
        return [int.from_bytes(data[i : i + size], "little") for i in range(0, len(data), size)]

    def _judge(
        self,
        k: int,
        failed: int,
        undecided: int,
        needs: Mapping[str, tuple[str, ...]],
        extra: Sequence[str],
        current_call: tuple[Call | None, bool],
    ) -> Result:
        """The verdict on program ``k`` from its lanes: bit ``slot`` is its condition ``slot``."""
        conditions = self.programs[k].eligibility
        failed_reasons = (c.reason for slot, c in enumerate(conditions) if failed >> slot & 1)
        # Two conditions may share a reason ("Es para personas embarazadas."); say it once.
        reasons = tuple(dict.fromkeys([*extra, *failed_reasons]))
        missing: tuple[str, ...] = ()
        if reasons:
            status = Status.NOT_ELIGIBLE
        elif undecided:
            status = Status.MAYBE
            missing = _in_field_order(
                needs[c.field] for slot, c in enumerate(conditions) if undecided >> slot & 1
            )
        else:
            status = Status.ELIGIBLE
        program_call, call_open = current_call
        return Result(
            self.programs[k].slug, status, reasons, missing, call_open, program_call, False
        )

    def _memo_on(self, on: date) -> _Memo:
        """The memo for ``on``; a new date (or a full memo) starts a new one.

        The memo is swapped in one assignment and callers keep the one they got,
        so threads evaluating across midnight never mix two dates' calls.
        """
        memo = self._memo
        if memo.on != on or memo.size > self.MEMO_LIMIT:
            calls = tuple(p.current_call(on) for p in self.programs)
            memo = _Memo(on, [{} for _ in self.programs], [{} for _ in self.programs], calls)
            self._memo = memo
        return memo

    def _enrollment_reasons(self, enrolled: Sequence[str]) -> dict[int, list[str]]:
        """Reasons that come from programs already received, by program position."""
        extra: dict[int, list[str]] = {}
        for slug in enrolled:
            k = self._index.get(slug)
            if k is None:
                continue  # e.g. a federal program this catalog does not hold
            extra.setdefault(k, []).insert(0, ALREADY_RECEIVES)
            group = self.programs[k].exclusion_group
            for other in self._groups.get(group, ()) if group else ():
                if other != k:
                    name = self.programs[k].name
                    extra.setdefault(other, []).append(CANNOT_COMBINE.format(name=name))
        return extra


def compile_catalog(programs: Sequence[Program]) -> CompiledCatalog:
    return CompiledCatalog(programs)


def evaluate(
    profile: Mapping[str, Any],
    catalog_programs: CompiledCatalog | Sequence[Program],
    on: date,
    *,
    state_code: str = DEFAULT_STATE_CODE,
    quota_used: Mapping[str, int] | None = None,
) -> list[Result]:
    """One :class:`Result` per program, in catalog order.

    ``profile`` holds typed values (see :mod:`portal.eligibility.profile`: absent means not
    asked, None means "No sé"). ``quota_used`` maps a program slug to the places
    already taken in its open call. Pass a :class:`CompiledCatalog` when
    evaluating more than once; a plain sequence of programs is compiled here.
    """
    compiled = (
        catalog_programs
        if isinstance(catalog_programs, CompiledCatalog)
        else CompiledCatalog(catalog_programs)
    )
    return compiled.evaluate(profile, on, state_code=state_code, quota_used=quota_used)


class _Memo:
    """Verdicts for one evaluation date: per program, its failed-conditions lane -> Result."""

    __slots__ = ("calls", "encoded", "on", "size", "verdicts")

    def __init__(
        self,
        on: date | None,
        verdicts: list[dict[Any, Result]],
        encoded: list[dict[Any, str]],
        calls: tuple[tuple[Call | None, bool], ...],
    ):
        self.on = on
        self.verdicts = verdicts
        self.encoded = encoded  # per program: failed lane -> the verdict's JSON (see evaluate_json)
        self.calls = calls  # per program: its current call and whether it is open
        self.size = 0  # approximate under threads; it only bounds memory


# memoryview formats by lane size
_LANE_FORMATS: dict[int, Literal["B", "H", "I", "Q"]] = {1: "B", 2: "H", 4: "I", 8: "Q"}


def _lane_bits(conditions: int) -> int:
    """Bits per program lane: the machine sizes when they fit, else whole bytes."""
    for bits in (8, 16, 32, 64):
        if conditions <= bits:
            return bits
    return -(-conditions // 8) * 8


def _still_needed(field: str, profile: Mapping[str, Any]) -> tuple[str, ...]:
    """The answers a condition on ``field`` is waiting for.

    If a source was answered "No sé", only that one is listed: asking the others
    could not decide the condition (household size is no use without income).
    """
    sources = sources_of(field)
    unknown = tuple(s for s in sources if s in profile and profile[s] is None)
    return unknown or tuple(s for s in sources if s not in profile)


def _in_field_order(needs: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    wanted = {name for group in needs for name in group}
    return tuple(name for name in ANSWERED_FIELDS if name in wanted)
