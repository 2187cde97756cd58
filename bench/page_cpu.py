"""CPU per request of the busiest pages, in-process (issue 21).

Where ``bench/load.py`` measures pages through gunicorn and wrk (and so the
whole machine's load), this measures what one request costs the process that
serves it: the Flask test client on a database built by ``demo-data``, rate
limits off, each page requested ``--requests`` times in ``--rounds`` rounds,
the lowest round's CPU time (``time.process_time``) per request, beside
``/healthz`` measured the same way in the same run (the ratio column), and
the statements one request sends to the database (the queries column: each
is a round trip on PostgreSQL). CPU time is what other processes on the
machine disturb least.

    .venv/bin/python bench/page_cpu.py --instance /tmp/q1m [--requests 30] [--rounds 4]
        [--only oficina,cuestionario] [--profile] [--statements] [--code DIR]

``--code DIR`` measures the portal found in DIR (a checkout of another
commit, e.g. ``git archive main | tar -x -C /tmp/main-code``, with its
compiled translations) with this script; ``--ab DIR_A DIR_B`` runs the two
alternately in fresh processes, ``--runs`` times each, and prints each page's
lowest figure of each side and the ratio. ``--profile`` prints where one
page's time goes (``--statements``: the SQL of one request of each page; cProfile: the 25 costliest functions by own time, then the
portal's by cumulative time; cProfile overstates Jinja, whose many small
calls each pay its overhead). ``--ab-kept-drawings`` measures each page with
the kept drawings (form fields, layout parts) and without them, alternately
in one process.

The instance folder holds ``portal.db`` (SQLite). Sessions are made as
sign-in makes them: the reviewer of the agency with most cases waiting, the
citizen of the first submitted application, an anonymous person with answers.
The questionnaire's POST sends an answer with the session's CSRF token, read
from the question page as a browser would.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ANSWERS = {
    "birth_date": "1985-03-02",
    "sex": "M",
    "municipality": "22014",
    "household_size": 4,
    "household_income_monthly": 6000,
}

# (page, visitor, form posted or None)
PAGES: tuple[tuple[str, str, dict[str, str] | None], ...] = (
    ("/healthz", "anonymous", None),
    ("/", "anonymous", None),
    ("/programas", "anonymous", None),
    ("/programas/tarjeta-contigo", "anonymous", None),
    ("/estadisticas", "anonymous", None),
    ("/cuestionario/pregunta/household_size", "answers", None),
    ("/cuestionario/pregunta/municipality", "answers", None),
    ("POST /cuestionario/pregunta/household_size", "answers", {"answer": "4"}),
    ("/cuestionario/revisar", "answers", None),
    ("/cuestionario/resultados", "answers", None),
    ("/mis-solicitudes", "citizen", None),
    ("/mis-solicitudes/{mine}", "citizen", None),
    ("/oficina", "staff", None),
    ("/oficina/solicitudes/{case}", "staff", None),
)
CSRF_FIELD = re.compile(rb'name="csrf_token" value="([^"]+)"')


def sessions(app) -> dict[str, tuple[str | None, dict[str, str]]]:
    """A session id per kind of visitor, and the paths that need a folio."""
    from peewee import fn

    from portal.models import Application, Program, StaffUser
    from portal.web.extensions import db
    from portal.web.sessions import create_session_row

    with app.app_context():
        db.connect(reuse_if_open=True)
        pending = ("enviada", "en_revision")
        busiest = (
            Application.select(Program.agency, fn.COUNT(Application.id))
            .join(Program)
            .where(Application.status.in_(pending))
            .group_by(Program.agency)
            .order_by(fn.COUNT(Application.id).desc())
            .limit(1)
            .tuples()
        )
        agency = next(iter(busiest))[0]
        reviewer = (
            StaffUser.select()
            .where((StaffUser.role == "revisor") & (StaffUser.agency == agency))
            .first()
        )
        case = (
            Application.select()
            .join(Program)
            .where((Program.agency == agency) & Application.status.in_(pending))
            .order_by(Application.id)
            .first()
        )
        mine = Application.select().where(Application.status != "borrador").first()
        found = {
            "staff": create_session_row({"_user_id": reviewer.get_id(), "_fresh": True}),
            "citizen": create_session_row({"_user_id": mine.citizen.get_id(), "_fresh": True}),
            "answers": create_session_row({"answers": ANSWERS}),
        }
        folios = {"case": case.folio, "mine": mine.folio}
        db.close()
    return {kind: (sid, folios) for kind, sid in found.items()} | {"anonymous": (None, folios)}


class _Statements(logging.Handler):
    """Counts the statements peewee sends (it logs each at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.count = 0

        self.sql: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        self.sql.append(
            str(record.msg[0]) if isinstance(record.msg, tuple) else record.getMessage()
        )


def _request(app, path: str, sid: str | None, form: dict[str, str] | None):
    """A function that makes the page's request once, and its first status."""
    client = app.test_client()
    if sid:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], sid)
    if form is None:
        return (lambda: client.get(path)), client.get(path).status_code
    page = client.get(path).data
    token = CSRF_FIELD.search(page)
    data = {**form, "csrf_token": token.group(1).decode() if token else ""}
    return (lambda: client.post(path, data=data)), client.post(path, data=data).status_code


def queries(call, show: bool = False) -> int:
    logger = logging.getLogger("peewee")
    handler, level = _Statements(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        call()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    for sql in handler.sql if show else ():
        print(f"    {sql[:300]}")
    return handler.count


def measure(call, requests: int, rounds: int) -> float:
    for _ in range(3):
        call()
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            call()
        best = min(best, (time.process_time() - started) / requests * 1000)
    return best


def profile(call, requests: int) -> None:
    import cProfile
    import pstats

    for _ in range(3):
        call()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(
        os.environ.get("PROFILE_FILTER", "portal/|templates/"), 40
    )


def kept_drawings_ab(app, call, requests: int, rounds: int) -> tuple[float, float]:
    """The page's CPU with the kept drawings (untouched form fields,
    portal/web/forms.py; layout parts, portal/web/drawings.py) and without
    them, measured alternately three times in this process (the lowest of each)."""
    from portal.web import forms

    real_key, real_kept = forms._field_key, app.jinja_env.globals["kept"]
    kept, drawn = [], []
    try:
        for _ in range(3):
            forms._field_key, app.jinja_env.globals["kept"] = real_key, real_kept
            kept.append(measure(call, requests, rounds))
            forms._field_key = lambda *a: None  # every field drawn anew
            app.jinja_env.globals["kept"] = lambda draw, *key: draw()
            drawn.append(measure(call, requests, rounds))
    finally:
        forms._field_key, app.jinja_env.globals["kept"] = real_key, real_kept
    return min(kept), min(drawn)


def run(args) -> list[dict]:
    if args.code:
        sys.path.insert(0, str(args.code))
    else:
        sys.path.insert(0, str(ROOT))
    from portal import create_app

    settings = {
        "DATABASE_URL": f"sqlite:///{args.instance / 'portal.db'}",
        "INSTANCE_PATH": str(args.instance),
        "STORAGE_PATH": str(args.instance / "documentos"),
        "SECRET_KEY": secrets.token_hex(32),
        # The answer's POST would meet its rate limit within a round.
        "RATELIMIT_ENABLED": False,
    }
    # Anonymous pages with the page cache off (their own cost); the personal
    # ones, which it never serves, with the production setting (what every
    # page reads, such as the blackout periods, kept for those seconds).
    apps = {
        "anonymous": create_app({**settings, "PAGE_CACHE_SECONDS": 0}),
        "personal": create_app({**settings, "PAGE_CACHE_SECONDS": 10}),
    }
    visitors = sessions(apps["personal"])
    only = [o for o in (args.only or "").split(",") if o]
    found = []
    for template, kind, form in PAGES:
        if only and template != "/healthz" and not any(o in template for o in only):
            continue
        sid, folios = visitors[kind]
        path = template.removeprefix("POST ").format(**folios)
        app = apps["anonymous" if kind == "anonymous" else "personal"]
        call, status = _request(app, path, sid, form)
        if args.statements and template != "/healthz":
            print(f"== {template}")
            queries(call, show=True)
            continue
        if args.profile and template != "/healthz":
            print(f"== {template}")
            profile(call, args.requests)
            continue
        if args.ab_kept_drawings:
            kept, drawn = kept_drawings_ab(app, call, args.requests, args.rounds)
            print(f"{template:<46} kept {kept:>6.2f} ms, drawn each time {drawn:>6.2f} ms, "
                  f"ratio {kept / drawn:.2f}", flush=True)  # fmt: skip
            continue
        found.append(
            {
                "page": template,
                "status": status,
                "cpu": measure(call, args.requests, args.rounds),
                "queries": queries(call),
            }
        )
    return found


def print_table(found: list[dict]) -> None:
    baseline = found[0]["cpu"] if found else 1.0
    print(f"{'page':<46} {'status':>6} {'CPU ms/req':>10} {'x /healthz':>10} {'queries':>7}")
    for row in found:
        print(
            f"{row['page']:<46} {row['status']:>6} {row['cpu']:>10.2f} "
            f"{row['cpu'] / baseline:>10.1f} {row['queries']:>7}"
        )


def ab(args) -> None:
    """Both codes alternately, each in a fresh process; the lowest of each side."""
    sides: dict[str, list[list[dict]]] = {"A": [], "B": []}
    for k in range(args.runs):
        for side, code in (("A", args.ab[0]), ("B", args.ab[1])):
            command = [
                sys.executable, __file__, "--instance", str(args.instance), "--code", code,
                "--requests", str(args.requests), "--rounds", str(args.rounds), "--json",
            ] + (["--only", args.only] if args.only else [])  # fmt: skip
            load = os.getloadavg()[0]
            out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            sides[side].append(json.loads(out.splitlines()[-1]))
            print(f"run {k + 1} {side} ({code}) done, load average {load:.2f}", flush=True)
    print(f"A = {args.ab[0]}, B = {args.ab[1]}; CPU ms/request, lowest of {args.runs} runs each")
    print(f"{'page':<46} {'A':>8} {'B':>8} {'B/A':>6} {'queries A':>9} {'queries B':>9}")
    for i, row in enumerate(sides["B"][0]):
        a = min(run[i]["cpu"] for run in sides["A"])
        b = min(run[i]["cpu"] for run in sides["B"])
        qa, qb = sides["A"][0][i]["queries"], row["queries"]
        print(f"{row['page']:<46} {a:>8.2f} {b:>8.2f} {b / a:>6.2f} {qa:>9} {qb:>9}")
        print("  runs A: " + " / ".join(f"{run[i]['cpu']:.2f}" for run in sides["A"])
              + "; runs B: " + " / ".join(f"{run[i]['cpu']:.2f}" for run in sides["B"]))  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--only", help="pages whose path contains one of these (comma-separated)")
    parser.add_argument("--profile", action="store_true", help="cProfile each page instead")
    parser.add_argument("--statements", action="store_true", help="print each page's SQL")
    parser.add_argument("--code", type=Path, help="measure the portal in this folder")
    parser.add_argument("--ab", nargs=2, metavar=("DIR_A", "DIR_B"))
    parser.add_argument("--runs", type=int, default=2, help="runs of each side with --ab")
    parser.add_argument(
        "--ab-kept-drawings",
        action="store_true",
        help="each page also with the kept drawings switched off (form fields and layout "
        "parts), alternating in this process",
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ab:
        ab(args)
        return 0
    if not args.json:
        print(f"load average before: {os.getloadavg()[0]:.2f}")
    found = run(args)
    if args.json:
        print(json.dumps(found))
        return 0
    if found:
        print_table(found)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
