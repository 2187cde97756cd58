"""Screenshots of four pages on a 412 × 823 phone screen (docs/screenshots/412/).

    PYTHONPATH=. .venv/bin/python scripts/screenshots.py before   # or: after

Builds a throwaway portal (SQLite in a temporary folder, ``demo-data``), serves
it from a thread and photographs "Mis datos", /estadisticas, a case and the
queue with Debian's Chromium. The citizen and the reviewer get a server-side
session directly: the pictures are of the pages, not of signing in.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from portal import create_app
from portal.models import Application, Citizen, StaffUser
from portal.vocabulary import ApplicationStatus
from portal.web import database
from portal.web.extensions import db
from portal.web.sessions import create_session_row

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots" / "412"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
VIEWPORT = {"width": 412, "height": 823}
REVIEWER = "revisor.sedesoq@demo.queretaro.gob.mx"


def portal(folder: Path):
    app = create_app(
        {
            "SECRET_KEY": "screenshots-secret-key-that-is-long-enough-0123",
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "QUEUE_URL": f"sqlite:///{folder / 'cola.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
        }
    )
    with app.app_context():
        database.upgrade()
    result = app.test_cli_runner().invoke(args=["demo-data", "--citizens", "1500"])
    assert result.exit_code == 0, result.output
    return app


def sessions(app) -> tuple[str, str, str]:
    """Session ids of a citizen with an application and of a reviewer; a folio to review."""
    with app.app_context():
        db.connect(reuse_if_open=True)
        reviewer = StaffUser.get(StaffUser.email == REVIEWER)
        case = (
            Application.select()
            .where(
                Application.status == ApplicationStatus.EN_REVISION,
                Application.program.in_(reviewer.agency.programs),
            )
            .order_by(Application.id)
            .first()
        )
        citizen = Citizen.get_by_id(case.citizen_id)
        ids = (
            create_session_row({"_user_id": citizen.get_id(), "_fresh": True}),
            create_session_row({"_user_id": reviewer.get_id(), "_fresh": True}),
            case.folio,
        )
        db.close()
    return ids


def photograph(prefix: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        app = portal(Path(folder))
        citizen, reviewer, folio = sessions(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        shots = [
            ("mis-datos", citizen, "/mis-datos"),
            ("estadisticas", None, "/estadisticas"),
            ("caso", reviewer, f"/oficina/solicitudes/{folio}"),
            ("bandeja", reviewer, "/oficina"),
        ]
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name, sid, path in shots:
                context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
                if sid:
                    context.add_cookies([{"name": "vu_sesion", "value": sid, "url": base}])
                page = context.new_page()
                page.goto(base + path)
                target = OUT / f"{prefix}-{name}.png"
                page.screenshot(path=str(target), full_page=False)
                width = page.evaluate("document.documentElement.scrollWidth")
                print(f"{target.relative_to(ROOT)}: page {width} px wide")
                context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("prefix", choices=["before", "after"])
    photograph(parser.parse_args().prefix)
