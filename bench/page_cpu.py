"""CPU per request of the busiest pages, in-process (issue 21).

Where ``bench/load.py`` measures pages through gunicorn and wrk (and so the
whole machine's load), this measures what one request costs the process that
serves it: the Flask test client on a database built by ``demo-data``, page
cache off, each page requested ``--requests`` times in ``--rounds`` rounds,
the lowest round's CPU time (``time.process_time``) per request, beside
``/healthz`` measured the same way in the same run (the ratio column). CPU
time is what other processes on the machine disturb least.

    .venv/bin/python bench/page_cpu.py --instance /tmp/q1m [--requests 30] [--rounds 4]

The instance folder holds ``portal.db`` (SQLite). Sessions are made as
sign-in makes them: the reviewer of the agency with most cases waiting, the
citizen of the first submitted application, an anonymous person with answers.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from peewee import fn  # noqa: E402

from portal import create_app  # noqa: E402
from portal.models import Application, Program, StaffUser  # noqa: E402
from portal.web import forms  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from portal.web.sessions import create_session_row  # noqa: E402

ANSWERS = {
    "birth_date": "1985-03-02",
    "sex": "M",
    "municipality": "22014",
    "household_size": 4,
    "household_income_monthly": 6000,
}


def sessions(app) -> dict[str, tuple[str | None, dict[str, str]]]:
    """A session id per kind of visitor, and the paths that need a folio."""
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


PAGES = (
    ("/healthz", "anonymous"),
    ("/", "anonymous"),
    ("/programas", "anonymous"),
    ("/programas/tarjeta-contigo", "anonymous"),
    ("/estadisticas", "anonymous"),
    ("/cuestionario/resultados", "answers"),
    ("/mis-solicitudes", "citizen"),
    ("/mis-solicitudes/{mine}", "citizen"),
    ("/oficina", "staff"),
    ("/oficina/solicitudes/{case}", "staff"),
)


def measure(app, path: str, sid: str | None, requests: int, rounds: int) -> tuple[float, int]:
    client = app.test_client()
    if sid:
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], sid)
    status = client.get(path).status_code
    for _ in range(3):
        client.get(path)
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(requests):
            client.get(path)
        best = min(best, (time.process_time() - started) / requests * 1000)
    return best, status


def kept_drawings_ab(app, path: str, sid: str | None, requests: int, rounds: int):
    """The page's CPU with the kept field drawings and without them, measured
    alternately three times in this process (the lowest of each)."""
    real = forms._field_key
    kept, drawn = [], []
    try:
        for _ in range(3):
            forms._field_key = real
            kept.append(measure(app, path, sid, requests, rounds)[0])
            forms._field_key = lambda *a: None  # every field drawn anew
            drawn.append(measure(app, path, sid, requests, rounds)[0])
    finally:
        forms._field_key = real
    return min(kept), min(drawn)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--ab-kept-drawings",
        action="store_true",
        help="each page also with the kept field drawings switched off (portal/web/forms.py), "
        "alternating in this process: the second figure and the ratio are without them",
    )
    args = parser.parse_args()
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{args.instance / 'portal.db'}",
            "INSTANCE_PATH": str(args.instance),
            "STORAGE_PATH": str(args.instance / "documentos"),
            "SECRET_KEY": secrets.token_hex(32),
            "PAGE_CACHE_SECONDS": 0,
        }
    )
    visitors = sessions(app)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print(f"{'page':<40} {'status':>6} {'CPU ms/req':>10} {'x /healthz':>10}")
    baseline = None
    for template, kind in PAGES:
        sid, folios = visitors[kind]
        path = template.format(**folios)
        if args.ab_kept_drawings:
            kept, drawn = kept_drawings_ab(app, path, sid, args.requests, args.rounds)
            print(f"{template:<40} kept {kept:>6.2f} ms, drawn each time {drawn:>6.2f} ms, "
                  f"ratio {kept / drawn:.2f}")  # fmt: skip
            continue
        cpu, status = measure(app, path, sid, args.requests, args.rounds)
        baseline = baseline or cpu
        print(f"{template:<40} {status:>6} {cpu:>10.2f} {cpu / baseline:>10.1f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
