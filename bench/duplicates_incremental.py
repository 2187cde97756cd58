"""Probable duplicates found on the queue: recall, precision, time per new person.

Two fresh SQLite registries in the same run, of 10,000 people (the baseline)
and of N (1,000,000 by default), loaded with the synthetic generator's bulk
path (portal.demo.data.bulk_insert_registry). Into each go, as new people:

* for each kind of near-duplicate, VARIANTS people made from registry people
  (swapped day and month, swapped surnames, one CURP character substituted,
  two neighbouring CURP characters transposed, one letter of the name
  dropped with a CURP that differs in two places): the known duplicates;
* DISTINCT people from another seed of the generator, who duplicate nobody.

Each new person is checked the way the queue does it,
``duplicates.check_people([id])`` (their block, then storing the new pairs),
and timed. Prints recall per kind (the known pair found, and found with its
reason), precision (among all pairs found, those naming one person: a
registry person and a variant, or two variants of the same person), the time per new
person on each registry, their ratio and the load average.

    .venv/bin/python bench/duplicates_incremental.py [N] [FOLDER]

FOLDER (default: a temporary folder under /tmp) holds the databases; they are
deleted at the end.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal import create_app  # noqa: E402
from portal.citizens import curp as curp_rules  # noqa: E402
from portal.demo import data as demo  # noqa: E402
from portal.demo.synthetic import generate_citizens  # noqa: E402
from portal.models import Citizen  # noqa: E402
from portal.rolls import duplicates  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402

VARIANTS = 200  # known duplicates per kind
DISTINCT = 500  # new people who duplicate nobody
KINDS = ("fecha_invertida", "apellidos_invertidos", "curp", "curp_transpuesta", "nombre")
LETTER_POSITIONS = (0, 1, 2, 3, 13, 14, 15)


def _with_check_digit(first17: str) -> str:
    return first17 + curp_rules.check_digit(first17)


def _variant(kind: str, person: dict, rng: random.Random) -> dict | None:
    """A copy of ``person`` with the near-duplicate ``kind``, or None when the
    person cannot carry it (a day after the 12th, a single surname...)."""
    curp, born = person["curp"], person["birth_date"]
    new = dict(person, email=None, phone=None)
    if kind == "fecha_invertida":
        swapped = duplicates.swapped_day_and_month(born)
        if swapped is None:
            return None
        new["birth_date"] = swapped
        new["curp"] = _with_check_digit(
            f"{curp[:6]}{swapped.month:02d}{swapped.day:02d}{curp[10:17]}"
        )
    elif kind == "apellidos_invertidos":
        first, second = person["last_name1"], person["last_name2"]
        if not second or second == first:
            return None
        new["last_name1"], new["last_name2"] = second, first
        try:
            new["curp"] = curp_rules.make_curp(
                person["first_name"], second, first, born, person["sex"], curp[11:13],
                homoclave=curp[16],
            )  # fmt: skip
        except ValueError:
            return None
    elif kind == "curp":
        i = rng.choice(LETTER_POSITIONS)
        letter = rng.choice([c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c != curp[i]])
        new["curp"] = _with_check_digit(curp[:i] + letter + curp[i + 1 : 17])
    elif kind == "curp_transpuesta":
        spots = [i for i in (0, 1, 2, 13, 14) if curp[i] != curp[i + 1]]
        if not spots:
            return None
        i = rng.choice(spots)
        new["curp"] = _with_check_digit(curp[:i] + curp[i + 1] + curp[i] + curp[i + 2 : 17])
    else:  # nombre: one letter less in the longest given name, the CURP two places apart
        words = person["first_name"].split()
        longest = max(range(len(words)), key=lambda k: len(words[k]))
        if len(words[longest]) < 5:
            return None
        cut = rng.randrange(1, len(words[longest]))
        words[longest] = words[longest][:cut] + words[longest][cut + 1 :]
        new["first_name"] = " ".join(words)
        other = "X" if curp[15] != "X" else "Z"
        homoclave = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        raised = homoclave[(homoclave.index(curp[16]) + 17) % len(homoclave)]
        new["curp"] = _with_check_digit(curp[:15] + other + raised)
    return new if new["curp"] != curp else None


def _ids(curps: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(curps), 5000):
        part = curps[start : start + 5000]
        found.update(
            Citizen.select(Citizen.curp, Citizen.id).where(Citizen.curp.in_(part)).tuples()
        )
    return found


def run(n: int, folder: Path) -> dict:
    url = f"sqlite:///{folder / f'registro-{n}.db'}"
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": secrets.token_hex(32)}
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        demo.load_municipalities()
        began = time.perf_counter()
        registry = list(generate_citizens(n, seed=2026))
        demo.bulk_insert_registry(registry)
        loaded = time.perf_counter() - began
        rng = random.Random(17)
        sample = rng.sample(registry, min(len(registry), 20 * VARIANTS))
        known: list[tuple[str, str, str]] = []  # (kind, base CURP, variant CURP)
        new_people: list[dict] = []
        taken = {p["curp"] for p in registry}
        for kind in KINDS:
            made = 0
            for person in sample:
                if made == VARIANTS:
                    break
                variant = _variant(kind, person, rng)
                if variant is None or variant["curp"] in taken:
                    continue
                taken.add(variant["curp"])
                known.append((kind, person["curp"], variant["curp"]))
                new_people.append(variant)
                made += 1
        distinct = [p for p in generate_citizens(DISTINCT * 2, seed=99) if p["curp"] not in taken]
        new_people.extend(distinct[:DISTINCT])
        del registry
        demo.bulk_insert_registry(new_people)
        ids = _ids([p["curp"] for p in new_people] + [base for _k, base, _v in known])
        load_before = os.getloadavg()
        times = []
        rng.shuffle(new_people)
        for person in new_people:
            started = time.perf_counter()
            duplicates.check_people([ids[person["curp"]]])
            times.append(time.perf_counter() - started)
        load_after = os.getloadavg()
        pairs = {
            (a, b): kind
            for a, b, kind in duplicates.DuplicateCandidate.select(
                duplicates.DuplicateCandidate.citizen_a,
                duplicates.DuplicateCandidate.citizen_b,
                duplicates.DuplicateCandidate.kind,
            ).tuples()
        }
        total = Citizen.select().count()
        db.close()
    expected = {}
    person_of: dict[int, int] = {}  # every variant of a registry person is that person
    for kind, base, variant in known:
        a, b = sorted((ids[base], ids[variant]))
        expected[(a, b)] = kind
        person_of[ids[base]] = person_of[ids[variant]] = ids[base]
    recall = {}
    for kind in KINDS:
        mine = [key for key, k in expected.items() if k == kind]
        recall[kind] = (
            len(mine),
            sum(key in pairs for key in mine),
            sum(pairs.get(key) == kind for key in mine),
        )
    true_pairs = sum(a in person_of and person_of.get(a) == person_of.get(b) for a, b in pairs)
    return {
        "n": total,
        "loaded": loaded,
        "recall": recall,
        "pairs": len(pairs),
        "true": true_pairs,
        "times": times,
        "load": (load_before, load_after),
    }


def _report(label: str, result: dict) -> None:
    times = result["times"]
    print(f"\n## {label}: {result['n']:,} people (loaded in {result['loaded']:.0f} s)")
    print(
        f"load average before/after the checks: {result['load'][0][0]:.2f} / "
        f"{result['load'][1][0]:.2f} (1 min), {os.cpu_count()} CPU"
    )
    print("| kind | known pairs | found | found with this reason | recall |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for kind, (count, found, labelled) in result["recall"].items():
        print(f"| {kind} | {count} | {found} | {labelled} | {found / max(count, 1):.1%} |")
    pairs, true = result["pairs"], result["true"]
    print(
        f"pairs stored: {pairs}; pairs of one person among them: {true}; precision {true / max(pairs, 1):.1%}"
    )
    print(
        f"time per new person: mean {statistics.mean(times) * 1000:.2f} ms, "
        f"median {statistics.median(times) * 1000:.2f} ms, "
        f"95th percentile {sorted(times)[int(len(times) * 0.95)] * 1000:.2f} ms "
        f"({len(times)} people)"
    )


def main(n: int = 1_000_000, folder: str | None = None) -> None:
    where = Path(tempfile.mkdtemp(prefix="bench-duplicados-", dir=folder or "/tmp"))
    try:
        print(f"SQLite, {os.cpu_count()} CPU; load average at start: {os.getloadavg()[0]:.2f}")
        small = run(10_000, where)
        _report("baseline", small)
        large = run(n, where)
        _report("registry", large)
        ratio = statistics.mean(large["times"]) / statistics.mean(small["times"])
        median_ratio = statistics.median(large["times"]) / statistics.median(small["times"])
        print(
            f"\nratio of time per new person, {large['n']:,} / {small['n']:,} people: "
            f"{ratio:.2f} (mean), {median_ratio:.2f} (median)"
        )
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000,
        sys.argv[2] if len(sys.argv) > 2 else None,
    )
