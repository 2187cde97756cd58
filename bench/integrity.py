"""A long run of the integrity property test (tests/applications/test_integrity_properties.py).

Runs the state machine with many more examples than ``make test`` does and
prints the figures: examples, steps, invariant checks, seconds, and how often
each act was done or refused (and why). With TEST_DATABASE_URL set it runs on
that PostgreSQL server, as the suite's second pass does.

    .venv/bin/python bench/integrity.py [--examples 500] [--steps 40]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/applications/test_integrity_properties.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500)
    parser.add_argument("--steps", type=int, default=40, help="most steps per example")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        stats = Path(folder) / "integrity.json"
        env = dict(
            os.environ,
            INTEGRITY_EXAMPLES=str(args.examples),
            INTEGRITY_STEPS=str(args.steps),
            INTEGRITY_STATS=str(stats),
        )
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", TEST]
        result = subprocess.run(command, cwd=ROOT, env=env, check=False)
        if not stats.exists():
            return result.returncode or 1
        figures = json.loads(stats.read_text())
    print(f"\nIntegrity property test on {figures.pop('database')}")
    for name in ("examples", "acts", "invariant checks", "seconds"):
        print(f"  {name:<18} {figures.pop(name, 0):>10,}")
    print("  acts (outcome: times)")
    for name, times in sorted(figures.items()):
        print(f"    {name:<62} {times:>7,}")
    print("PASSED" if result.returncode == 0 else "FAILED: see the falsifying example above")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
