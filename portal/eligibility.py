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

import operator
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from functools import partial
from itertools import compress, count, repeat
from operator import call, itemgetter
from typing import Any, NamedTuple, cast

from portal.catalog import Call, Condition, Program
from portal.profile import ANSWERED_FIELDS, DEFAULT_STATE_CODE, derive, sources_of


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


Predicate = Callable[[Any], bool]


def _any_lt(limit: int, ages: tuple[int, ...]) -> bool:
    return bool(ages) and min(ages) < limit


def _any_gte(limit: int, ages: tuple[int, ...]) -> bool:
    return bool(ages) and max(ages) >= limit


def _between(low: Any, high: Any, value: Any) -> bool:
    return low <= value <= high


def _not_in(values: frozenset[Any], value: Any) -> bool:
    return value not in values


def predicate(op: str, value: Any) -> Predicate:
    """A one-argument test for ``field_value <op> value``.

    Built from C-level callables (``partial`` of ``operator``) where possible,
    since the argument order is flipped: ``v < 3000`` is ``gt(3000, v)``.
    """
    if op == "eq":
        return partial(operator.eq, value)
    if op == "ne":
        return partial(operator.ne, value)
    if op == "lt":
        return partial(operator.gt, value)
    if op == "lte":
        return partial(operator.ge, value)
    if op == "gt":
        return partial(operator.lt, value)
    if op == "gte":
        return partial(operator.le, value)
    if op == "in":
        return frozenset(value).__contains__
    if op == "not_in":
        return partial(_not_in, frozenset(value))
    if op == "between":
        return partial(_between, value[0], value[1])
    if op == "any_lt":
        return partial(_any_lt, value)
    if op == "any_gte":
        return partial(_any_gte, value)
    if op == "is_true":
        return operator.truth
    if op == "is_false":
        return operator.not_
    raise ValueError(f"unknown operator {op!r}")


# What a condition does for one profile. Small ints, so a program's key is cheap to hash.
HOLDS, FAILS, UNDECIDED = 0, 1, 2


class CompiledCatalog:
    """Programs prepared for fast, repeated evaluation. Build it once per catalog.

    Identical conditions are merged (many programs say "18 años o más"), grouped
    by field and turned into predicates, so a profile runs each distinct test
    once and gets one code per condition: holds, fails or undecided. A program's
    result depends only on the codes of its own conditions (plus the date,
    enrollment and quotas, handled apart), so results are memoized per program
    under that tuple of codes: everyone whose answers play out the same way for
    a program gets the same immutable verdict. Looking those up is a few C-level
    passes over the catalog instead of thousands of Python steps per profile.
    ``maybe`` results are not memoized, since the answers they ask for depend on
    which fields were answered "No sé".
    """

    MEMO_LIMIT = 500_000  # verdicts kept across profiles before starting over

    def __init__(self, programs: Sequence[Program]):
        self.programs: tuple[Program, ...] = tuple(programs)
        conditions: dict[Condition, int] = {}
        rows = []
        for program in self.programs:
            ids = tuple(conditions.setdefault(c, len(conditions)) for c in program.eligibility)
            rows.append(ids)
        self.conditions: tuple[Condition, ...] = tuple(conditions)
        self._condition_ids: tuple[tuple[int, ...], ...] = tuple(rows)
        self._reasons = tuple(c.reason for c in self.conditions)
        self._key_getters = tuple(itemgetter(*ids) if ids else _no_conditions for ids in rows)

        by_field: dict[str, list[tuple[int, Predicate]]] = {}
        for cid, condition in enumerate(self.conditions):
            by_field.setdefault(condition.field, []).append(
                (cid, predicate(condition.op, condition.value))
            )
        self._by_field = tuple((name, tuple(checks)) for name, checks in by_field.items())

        self._index = {p.slug: k for k, p in enumerate(self.programs)}
        groups: dict[str, list[int]] = {}
        for k, program in enumerate(self.programs):
            if program.exclusion_group:
                groups.setdefault(program.exclusion_group, []).append(k)
        self._groups = {name: tuple(members) for name, members in groups.items()}

        self._memo = _Memo(None, [], ())

    def evaluate(
        self,
        profile: Mapping[str, Any],
        on: date,
        *,
        state_code: str = DEFAULT_STATE_CODE,
        quota_used: Mapping[str, int] | None = None,
    ) -> list[Result]:
        """See :func:`evaluate`."""
        values = derive(profile, on, state_code)

        codes = [HOLDS] * len(self.conditions)
        undecided: dict[int, tuple[str, ...]] = {}  # condition id: answers it waits for
        for field, checks in self._by_field:
            value = values.get(field, _ABSENT)
            if value is None or value is _ABSENT:
                needs = _still_needed(field, profile)
                for cid, _ in checks:
                    codes[cid] = UNDECIDED
                    undecided[cid] = needs
                continue
            for cid, test in checks:
                if not test(value):
                    codes[cid] = FAILS

        memo = self._memo_on(on)
        keys = list(map(call, self._key_getters, repeat(codes)))
        found: list[Result | None] = list(map(dict.get, memo.verdicts, keys))
        # Enrollment is not in the codes, so those programs are judged afresh.
        extra = self._enrollment_reasons(values.get("enrolled") or ())
        for k in extra:
            found[k] = None
        for k in list(compress(count(), map(operator.not_, found))):
            result = self._judge(k, codes, undecided, extra.get(k, ()), memo.calls[k])
            found[k] = result
            if k not in extra and result.status is not Status.MAYBE:
                memo.verdicts[k][keys[k]] = result
                memo.size += 1
        results = cast(list[Result], found)

        for slug, used in (quota_used or {}).items():
            k = self._index.get(slug)
            if k is None:
                continue
            result = results[k]
            open_call = result.call if result.call_open else None
            if open_call is not None and open_call.quota is not None and used >= open_call.quota:
                results[k] = result._replace(quota_full=True)
        return results

    def _judge(
        self,
        k: int,
        codes: list[int],
        undecided: dict[int, tuple[str, ...]],
        extra: Sequence[str],
        current_call: tuple[Call | None, bool],
    ) -> Result:
        ids = self._condition_ids[k]
        # Two conditions may share a reason ("Es para personas embarazadas."); say it once.
        reasons = list(
            dict.fromkeys([*extra, *(self._reasons[cid] for cid in ids if codes[cid] == FAILS)])
        )
        missing: tuple[str, ...] = ()
        if reasons:
            status = Status.NOT_ELIGIBLE
        elif needs := [undecided[cid] for cid in ids if cid in undecided]:
            status = Status.MAYBE
            missing = _in_field_order(needs)
        else:
            status = Status.ELIGIBLE
        program_call, call_open = current_call
        return Result(
            self.programs[k].slug, status, tuple(reasons), missing, call_open, program_call, False
        )

    def _memo_on(self, on: date) -> _Memo:
        """The memo for ``on``; a new date (or a full memo) starts a new one.

        The memo is swapped in one assignment and callers keep the one they got,
        so threads evaluating across midnight never mix two dates' calls.
        """
        memo = self._memo
        if memo.on != on or memo.size > self.MEMO_LIMIT:
            calls = tuple(p.current_call(on) for p in self.programs)
            memo = _Memo(on, [{} for _ in self.programs], calls)
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

    ``profile`` holds typed values (see :mod:`portal.profile`: absent means not
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


_ABSENT = object()


class _Memo:
    """Verdicts for one evaluation date: per program, codes of its conditions -> Result."""

    __slots__ = ("calls", "on", "size", "verdicts")

    def __init__(
        self,
        on: date | None,
        verdicts: list[dict[Any, Result]],
        calls: tuple[tuple[Call | None, bool], ...],
    ):
        self.on = on
        self.verdicts = verdicts
        self.calls = calls  # per program: its current call and whether it is open
        self.size = 0  # approximate under threads; it only bounds memory


def _no_conditions(codes: list[int]) -> tuple[()]:
    return ()


def _still_needed(field: str, profile: Mapping[str, Any]) -> tuple[str, ...]:
    """The answers a condition on ``field`` is waiting for.

    If a source was answered "No sé", only that one is listed: asking the others
    could not decide the condition (household size is no use without income).
    """
    sources = sources_of(field)
    unknown = tuple(s for s in sources if s in profile and profile[s] is None)
    return unknown or tuple(s for s in sources if s not in profile)


def _in_field_order(needs: list[tuple[str, ...]]) -> tuple[str, ...]:
    wanted = {name for group in needs for name in group}
    return tuple(name for name in ANSWERED_FIELDS if name in wanted)
