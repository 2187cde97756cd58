"""Page weight of every citizen page in headless Chromium.

Budget: a first visit to any citizen page transfers at most 50 KB in all
(HTML, CSS, JS, images; compressed as sent); a later page with a warm cache at
most 15 KB. Bytes are the sum of Chromium's ``encodedDataLength`` for every
response of the navigation (DevTools protocol), as on a phone's data plan.

The portal runs from a thread on a fresh SQLite database loaded by the
``demo-data`` command, through the same app (compression included) that
gunicorn serves. Citizen pages are found in the URL map: every GET route that
is not back office, delivery, machine-readable or a download; routes with a
parameter get a real value (a program slug, a folio of a demo persona).

Run: .venv/bin/python bench/page_weight.py
"""

from __future__ import annotations

import logging
import secrets
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from portal import create_app  # noqa: E402
from portal.models import Application, Citizen, Program  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from portal.web.sessions import create_session_row  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

FIRST_VISIT_BUDGET = 50 * 1024
WARM_BUDGET = 15 * 1024
NOT_CITIZEN = (
    "/oficina",
    "/entrega",
    "/auth",
    "/static",
    "/healthz",
    "/.well-known",
    "/e/",
    "/E/",
    "/idioma",
)
DOWNLOAD_SUFFIXES = (".csv", ".json", ".png", ".svg", ".pdf")


def citizen_paths(app) -> list[str]:
    """Every citizen-facing GET page, with real values for its parameters."""
    program = Program.select().order_by(Program.id).first()
    application = Application.select().order_by(Application.id).first()
    values = {
        "slug": program.slug if program else None,
        "folio": application.folio if application else None,
    }
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(NOT_CITIZEN):
            continue
        if rule.rule.endswith(DOWNLOAD_SUFFIXES) or "descargar" in rule.rule:
            continue
        if any(arg not in values or values[arg] is None for arg in rule.arguments):
            continue
        paths.add(rule.build({arg: values[arg] for arg in rule.arguments}, append_unknown=False)[1])
    return sorted(paths)


def signed_in_cookie(app) -> dict | None:
    """A session for the first demo citizen who has an application, as sign-in makes."""
    citizen = (
        Citizen.select()
        .join(Application, on=(Application.citizen == Citizen.id))
        .order_by(Citizen.id)
        .first()
        or Citizen.select().order_by(Citizen.id).first()
    )
    if citizen is None:
        return None
    sid = create_session_row({"_user_id": citizen.get_id(), "_fresh": True})
    return {
        "name": app.config["SESSION_COOKIE_NAME"],
        "value": sid,
        "domain": "127.0.0.1",
        "path": "/",
    }


def measure(browser, url: str, cookie: dict | None, warm_from: str | None) -> tuple[int, int]:
    """(bytes, status) of one navigation; with warm_from, after visiting that page."""
    context = browser.new_context(viewport={"width": 412, "height": 823})
    if cookie:
        context.add_cookies([cookie])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    if warm_from:
        page.goto(warm_from, wait_until="load")
    total = {"bytes": 0}
    cdp.on(
        "Network.loadingFinished",
        lambda e: total.__setitem__("bytes", total["bytes"] + e["encodedDataLength"]),
    )
    response = page.goto(url, wait_until="load")
    page.wait_for_timeout(150)
    context.close()
    return total["bytes"], response.status if response else 0


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="vu-bench-"))
    app = create_app(
        {
            "SECRET_KEY": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "docs"),
        }
    )
    with app.app_context():
        database.upgrade()
        result = app.test_cli_runner().invoke(args=["demo-data"])
        if result.exit_code != 0:
            print(result.output)
            return 1
        paths = citizen_paths(app)
        cookie = signed_in_cookie(app)
        db.close()

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    rows, failures = [], 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path in paths:
            for who, jar in (("anónimo", None), ("ciudadano", cookie)):
                cold, status = measure(browser, base + path, jar, None)
                if status >= 500:
                    failures += 1
                    rows.append((path, who, cold, 0, f"ERROR {status}"))
                    continue
                if status != 200:
                    continue  # a redirect or refusal for this visitor: not a page of theirs
                warm, _ = measure(browser, base + path, jar, base + "/")
                ok = cold <= FIRST_VISIT_BUDGET and warm <= WARM_BUDGET
                failures += not ok
                rows.append((path, who, cold, warm, "ok" if ok else "EXCEDE"))
        browser.close()
    server.shutdown()

    print(f"{'página':38} {'quién':10} {'1.ª visita':>11} {'caché tibia':>12}  presupuesto")
    for path, who, cold, warm, verdict in rows:
        print(f"{path:38} {who:10} {cold / 1024:9.1f} KB {warm / 1024:10.1f} KB  {verdict}")
    print(
        f"\n{len(rows)} mediciones; presupuesto 50 KB primera visita, 15 KB con caché; "
        f"{failures} fuera de presupuesto"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
