"""How fast synthetic citizens are generated (portal/demo/synthetic.py).

    .venv/bin/python -m bench.synthetic [--citizens 1000000] [--seed 2026]

(run from the repository root, so that ``portal`` is importable).

Prints rows per second for three runs over the same citizens:

* generate: portal.demo.synthetic.generate_citizens as the demo-data command uses it;
* generate + stdnum: the same, validating every CURP with python-stdnum, the
  baseline a straightforward generator would pay (and a full check that all
  generated CURPs are valid);
* generate + make_curp: the same, rebuilding every CURP from the names with
  portal.citizens.curp.make_curp, the public per-person path.

and the peak memory while generating, since uniqueness keeps every CURP prefix.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
from collections.abc import Callable

from stdnum.mx import curp as stdnum_curp

from portal.demo import synthetic
from tests.support.synthetic import rebuilt_curp


def timed(label: str, n: int, seed: int, per_row: Callable[[synthetic.Citizen], None]) -> float:
    start = time.perf_counter()
    count = 0
    for row in synthetic.generate_citizens(n, seed=seed):
        per_row(row)
        count += 1
    elapsed = time.perf_counter() - start
    assert count == n
    print(f"| {label:<22} | {n:>11,} | {elapsed:>8.1f} | {n / elapsed:>12,.0f} |", flush=True)
    return elapsed


def nothing(_row: synthetic.Citizen) -> None:
    return None


def validate_with_stdnum(row: synthetic.Citizen) -> None:
    stdnum_curp.validate(row["curp"])


def rebuild_with_make_curp(row: synthetic.Citizen) -> None:
    rebuilt = rebuilt_curp(row)
    if rebuilt != row["curp"]:
        raise AssertionError(f"{rebuilt} != {row['curp']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=synthetic.DEFAULT_SEED)
    args = parser.parse_args()

    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    print()
    print("| run                    |    citizens | seconds  |       rows/s |")
    print("| ---------------------- | ----------: | -------: | -----------: |")
    fast = timed("generate", args.citizens, args.seed, nothing)
    # High-water mark of the process so far: the generator's own memory.
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    baseline = timed("generate + stdnum", args.citizens, args.seed, validate_with_stdnum)
    timed("generate + make_curp", args.citizens, args.seed, rebuild_with_make_curp)
    unique = len(
        {row["curp"] for row in synthetic.generate_citizens(args.citizens, seed=args.seed)}
    )
    print()
    print(
        f"stdnum validation alone costs {(baseline - fast) / args.citizens * 1e6:.1f} µs per CURP"
    )
    print(f"unique CURPs: {unique:,} of {args.citizens:,}")
    print(f"peak memory while generating: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
