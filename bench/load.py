"""Pages under load: gunicorn as in production, driven by wrk (issue 21).

Serves a database built by ``demo-data`` (see docs/benchmarks.md) with
``gunicorn -c gunicorn.conf.py wsgi:app`` (``--workers``, 2 threads each, as
the config file says) and, on another port with the same settings, the bare
Flask page of bench/load_bare.py. Every page is measured with wrk
(``bench/load.lua`` sets method, body and cookie and prints p50/p95/p99) right
after the bare page at the same number of connections, so each line has the
ratio to the bare page measured in the same minute, and the load average.

Measured: every anonymous citizen page and the questionnaire (GET, POST of an
answer with a session cookie and its CSRF token, results); the signed-in
citizen pages (a session row for a demo citizen, as sign-in makes it); the
reviewer's queue and case page (a staff session); ``/estadisticas`` and every
open-data download; a burst (4 and 16 connections downloading open data while
the home page is measured); memory per worker at rest and under load (RSS
from /proc) and the time until the workers answer. With ``--page-cache both``
every page is measured with the production setting (``PAGE_CACHE_SECONDS=10``:
the page cache serves anonymous pages; personal pages never come from it, but
the process keeps what every page reads, such as the blackout periods), then
the anonymous pages again with ``PAGE_CACHE_SECONDS=0`` (their own cost). The
burst and the opening of a call run with the first setting measured.

The opening of a call (``--only apertura`` or part of a full run): a program
with one required document and a quota, ``--applicants`` threads each acting
as one person after another for ``--call-duration`` seconds: signed in (a
session row), answers a question, opens the apply page, starts, uploads one
document (multipart) and submits twice at once. Then the database is checked:
every submitted person has exactly one live application, none lost or
duplicated, and the call's quota not exceeded.

``--servers 2`` runs two gunicorn masters on two ports (PostgreSQL: two
application servers on one database) and points wrk's connections at both
through bench/load_balance.py, a tiny round-robin TCP proxy.

    .venv/bin/python bench/load.py --instance /tmp/demo1m [--database sqlite|postgresql]
        [--url DATABASE_URL] [--workers 2] [--duration 5] [--connections 8,32,64]
        [--only PAGE[,PAGE]] [--page-cache on|off|both] [--servers 1|2]
        [--applicants 200] [--call-duration 120] [--citizens N]

``--citizens N`` builds the database first with ``demo-data --citizens N`` when
the instance folder holds none. wrk is installed with apt-get when missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from peewee import fn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VENV_BIN = ROOT / ".venv" / "bin"
LUA = ROOT / "bench" / "load.lua"
HOST = "127.0.0.1"
PORTAL_PORT = 8710
BARE_PORT = 8720
BALANCER_PORT = 8730


# Setup --------------------------------------------------------------------------


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian when missing (like
    scripts/install-system-packages.sh does for the test suite)."""
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([*sudo, "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk no quedó instalado")
    return found


def server_env(args, page_cache: int) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": args.url,
        "INSTANCE_PATH": str(args.instance),
        "STORAGE_PATH": str(args.instance / "documentos"),
        "SECRET_KEY": args.secret,
        "PAGE_CACHE_SECONDS": str(page_cache),
        "WEB_CONCURRENCY": str(args.workers),
        "LOG_LEVEL": "WARNING",
    }


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    ready_seconds: float = 0.0
    log: Path | None = None

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(name: str, app: str, port: int, env: dict[str, str], args) -> Server:
    log = args.instance / f"gunicorn-{name}-{port}.log"
    began = time.perf_counter()
    process = subprocess.Popen(
        [
            str(VENV_BIN / "gunicorn"),
            "-c",
            str(ROOT / "gunicorn.conf.py"),
            "--bind",
            f"{HOST}:{port}",
            # The access log (stdout in production) would be wrk's bottleneck here.
            "--access-logfile",
            "/dev/null",
            app,
        ],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"{HOST}:{port}"},
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    server = Server(name, port, process, log=log)
    path = "/" if "bare" in app else "/healthz"
    deadline = time.time() + 120
    # Ready when every worker has answered: a request per worker.
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn {name} terminó: ver {log}")
        try:
            if get(port, path)[0] == 200 and len(server.workers()) >= args.workers:
                break
        except OSError:
            pass
        time.sleep(0.05)
    else:
        raise SystemExit(f"gunicorn {name} no respondió: ver {log}")
    server.ready_seconds = time.perf_counter() - began
    return server


# Plain HTTP for preparing sessions and for the opening of a call ----------------


def get(port: int, path: str, cookie: str = "") -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        connection.close()


CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("la página no tiene csrf_token")
    return match.group(1)


def session_cookie(headers: dict[str, str], name: str) -> str:
    match = re.search(rf"{re.escape(name)}=([^;]+)", headers.get("set-cookie", ""))
    return f"{name}={match.group(1)}" if match else ""


# What to measure ----------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str
    group: str  # anonymous, questionnaire, citizen, staff, transparency
    cookie: str = ""
    method: str = "GET"
    body: str = ""
    content_type: str = ""
    cacheable: bool = False  # an anonymous page the page cache may serve


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    bad: int  # status >= 400
    socket_errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk(binary: str, port: int, page: Page, connections: int, seconds: float) -> Result:
    threads = min(2, connections)
    env = {
        **os.environ,
        "LOAD_METHOD": page.method,
        "LOAD_BODY": page.body,
        "LOAD_CONTENT_TYPE": page.content_type,
        "LOAD_COOKIE": page.cookie,
    }
    out = subprocess.run(
        [
            binary,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(LUA),
            f"http://{HOST}:{port}{page.path}",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"LOADRESULT (\d+) ([\d.]+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk sin resultado: {out}")
    n, s, p50, p95, p99, bad, errors = match.groups()
    return Result(
        int(n), float(s), int(p50) / 1000, int(p95) / 1000, int(p99) / 1000, int(bad), int(errors)
    )


def settle(port: int, path: str = "/healthz", seconds: float = 15) -> None:
    """Wait until the server is idle again: after a slow page, the requests
    wrk left queued in gunicorn are still being served when wrk exits, and
    would slow the next measurement."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        began = time.perf_counter()
        try:
            get(port, path)
        except OSError:
            pass
        if time.perf_counter() - began < 0.05:
            return
        time.sleep(0.2)


def load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def prepare(args) -> dict:
    """Sessions and paths from the database, before the servers start."""
    from portal import create_app
    from portal.applications import workflow as apps
    from portal.backoffice.models import StaffUser
    from portal.models import Application, Citizen, Program
    from portal.transparency import builds
    from portal.web.extensions import db
    from portal.web.sessions import create_session_row
    from portal.web.tables import tuples

    app = create_app(
        {
            "DATABASE_URL": args.url,
            "INSTANCE_PATH": str(args.instance),
            "STORAGE_PATH": str(args.instance / "documentos"),
            "SECRET_KEY": args.secret,
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        started = time.perf_counter()
        builds.build(force=True)
        rebuilt = time.perf_counter() - started
        citizens = Citizen.select().count()
        applications = Application.select().count()
        program = (
            Program.get_or_none(Program.slug == "tarjeta-contigo")
            or Program.select().where(Program.active).order_by(Program.id).first()
        )
        submitted = (
            Application.select()
            .where(Application.status.in_([s for s in apps.LIVE_STATUSES if s != "borrador"]))
            .order_by(Application.id)
            .first()
        )
        draft = (
            Application.select()
            .where(Application.status == "borrador")
            .order_by(Application.id)
            .first()
        )
        # The reviewer of the agency with most cases waiting.
        busiest = list(
            tuples(
                Application.select(Program.agency, fn.COUNT(Application.id))
                .join(Program)
                .where(Application.status.in_(("enviada", "en_revision")))
                .group_by(Program.agency)
                .order_by(fn.COUNT(Application.id).desc())
                .limit(1)
            )
        )
        agency_id = busiest[0][0] if busiest else None
        reviewer = (
            StaffUser.select()
            .where((StaffUser.role == "revisor") & (StaffUser.agency == agency_id))
            .order_by(StaffUser.id)
            .first()
        )
        case = (
            Application.select()
            .join(Program)
            .where(
                (Program.agency == agency_id) & Application.status.in_(("enviada", "en_revision"))
            )
            .order_by(Application.id)
            .first()
        )
        name = app.config["SESSION_COOKIE_NAME"]

        def signed_in(user) -> str:
            return f"{name}={create_session_row({'_user_id': user.get_id(), '_fresh': True})}"

        results_answers = {
            "birth_date": "1985-03-02",
            "sex": "M",
            "municipality": "22014",
            "household_size": 4,
            "household_income_monthly": 6000,
        }
        facts = {
            "citizens": citizens,
            "applications": applications,
            "build_seconds": rebuilt,
            "program": program.slug if program else None,
            "cookie_name": name,
            "submitted": (submitted.folio, signed_in(submitted.citizen)) if submitted else None,
            "draft": (draft.folio, signed_in(draft.citizen)) if draft else None,
            "staff": signed_in(reviewer) if reviewer else None,
            "case": case.folio if case else None,
            "results_cookie": f"{name}={create_session_row({'answers': results_answers})}",
        }
        db.close()
    return facts


def pages(facts: dict, port: int) -> list[Page]:
    slug = facts["program"]
    found = [
        Page("/", "/", "anonymous", cacheable=True),
        Page("/healthz", "/healthz", "anonymous"),
        Page("/programas", "/programas", "anonymous", cacheable=True),
        Page(f"/programas/{slug}", f"/programas/{slug}", "anonymous", cacheable=True),
        Page("/privacidad", "/privacidad", "anonymous", cacheable=True),
        Page("/cuestionario", "/cuestionario", "questionnaire"),
        Page(
            "/cuestionario/pregunta/household_size (GET)",
            "/cuestionario/pregunta/household_size",
            "questionnaire",
        ),
    ]
    # POST of an answer: a session and its CSRF token, from a real first visit.
    status, headers, html = get(port, "/cuestionario/pregunta/household_size")
    cookie = session_cookie(headers, facts["cookie_name"])
    if status == 200 and cookie:
        found.append(
            Page(
                "/cuestionario/pregunta/household_size (POST)",
                "/cuestionario/pregunta/household_size",
                "questionnaire",
                cookie=cookie,
                method="POST",
                body=urlencode({"csrf_token": csrf_token(html), "answer": "4"}),
                content_type="application/x-www-form-urlencoded",
            )
        )
    found += [
        Page(
            "/cuestionario/revisar", "/cuestionario/revisar", "questionnaire",
            cookie=facts["results_cookie"],
        ),
        Page(
            "/cuestionario/resultados", "/cuestionario/resultados", "questionnaire",
            cookie=facts["results_cookie"],
        ),
        Page("/estadisticas", "/estadisticas", "transparency", cacheable=True),
        Page("/datos-abiertos", "/datos-abiertos", "transparency", cacheable=True),
        Page("/datos-abiertos/diccionario", "/datos-abiertos/diccionario", "transparency",
             cacheable=True),
    ]  # fmt: skip
    # Every download the open-data and statistics pages link to.
    downloads: list[str] = []
    for listing in ("/datos-abiertos", "/estadisticas"):
        _s, _h, html = get(port, listing)
        for href in re.findall(
            r'href="(/(?:datos-abiertos|estadisticas)/[^"]+\.(?:csv|json))"', html
        ):
            if href not in downloads:
                downloads.append(href)
    found += [Page(href, href, "download", cacheable=True) for href in downloads]
    if facts["submitted"]:
        folio, cookie = facts["submitted"]
        found += [
            Page("/mis-solicitudes", "/mis-solicitudes", "citizen", cookie=cookie),
            Page("/mis-solicitudes/<folio>", f"/mis-solicitudes/{folio}", "citizen", cookie=cookie),
        ]
    if facts["draft"]:
        folio, cookie = facts["draft"]
        found.append(
            Page(
                "/mis-solicitudes/<folio>/documentos",
                f"/mis-solicitudes/{folio}/documentos",
                "citizen",
                cookie=cookie,
            )
        )
    if facts["staff"]:
        found.append(Page("/oficina (cola)", "/oficina", "staff", cookie=facts["staff"]))
        if facts["case"]:
            found.append(
                Page(
                    "/oficina/solicitudes/<folio>",
                    f"/oficina/solicitudes/{facts['case']}",
                    "staff",
                    cookie=facts["staff"],
                )
            )
    return found


BUDGET_MS = {
    "anonymous": 100,
    "questionnaire": 100,
    "transparency": 100,
    "download": 100,
    "citizen": 150,
    "staff": 200,
}


def _selects(only: str, name: str) -> bool:
    """``--only`` entries: a part of a page's name, or ``=NAME`` for exactly one (``=/``)."""
    return only[1:] == name if only.startswith("=") else only in name


def measure_pages(args, binary, portal_port, bare: Server, found, cache_label) -> list[dict]:
    rows = []
    bare_page = Page("bare", "/", "bare")
    for page in found:
        if args.only and not any(_selects(o, page.name) for o in args.only):
            continue
        for connections in args.connections:
            base = wrk(binary, bare.port, bare_page, connections, args.duration)
            settle(portal_port)
            result = wrk(binary, portal_port, page, connections, args.duration)
            ratio = result.rps / base.rps if base.rps else 0.0
            budget = BUDGET_MS.get(page.group, 100)
            row = {
                "page": page.name,
                "cache": cache_label,
                "connections": connections,
                "rps": result.rps,
                "p50": result.p50_ms,
                "p95": result.p95_ms,
                "p99": result.p99_ms,
                "bare_rps": base.rps,
                "ratio": ratio,
                "bad": result.bad,
                "errors": result.socket_errors,
                "load": load(),
                "budget": budget,
            }
            rows.append(row)
            verdict = "ok" if result.p95_ms <= budget and not result.bad else "SLOW"
            if result.bad or result.socket_errors:
                verdict = f"{result.bad} status>=400, {result.socket_errors} socket errors"
            print(
                f"| `{page.name}` | {cache_label} | {connections} | {result.rps:,.0f} | "
                f"{result.p50_ms:.1f} | {result.p95_ms:.1f} | {base.rps:,.0f} | {ratio:.2f} | "
                f"{row['load']} | {verdict} |",
                flush=True,
            )
    return rows


def burst(args, binary, portal_port, found) -> None:
    """The home page measured alone, then while 4 and 16 connections download open data."""
    downloads = [p for p in found if p.group == "download"]
    if not downloads:
        return
    heavy = next((p for p in downloads if "beneficiarios.csv" in p.path), downloads[0])
    home = Page("/", "/", "anonymous")
    settle(portal_port)
    alone = wrk(binary, portal_port, home, 32, args.duration)
    print(
        f"| `/` alone | 32 | {alone.rps:,.0f} | {alone.p50_ms:.1f} | {alone.p95_ms:.1f} | "
        f"- | {load()} |"
    )
    for background in (4, 16):
        settle(portal_port)
        holder: dict[str, Result] = {}
        thread = threading.Thread(
            target=lambda n=background, holder=holder: holder.setdefault(
                "r", wrk(binary, portal_port, heavy, n, args.duration + 2)
            )
        )
        thread.start()
        time.sleep(1)
        during = wrk(binary, portal_port, home, 32, args.duration)
        thread.join()
        down = holder["r"]
        print(
            f"| `/` while {background} connections download `{heavy.path}` | 32 | "
            f"{during.rps:,.0f} | {during.p50_ms:.1f} | {during.p95_ms:.1f} | "
            f"{down.rps:,.0f} downloads/s (p95 {down.p95_ms:.0f} ms) | {load()} |",
            flush=True,
        )


# The opening of a call ------------------------------------------------------------


@dataclass
class Opening:
    slug: str
    requirement_id: int
    quota: int
    cookies: list[tuple[int, str]]  # (citizen id, session cookie)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    submitted: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def timed(self, step: str, seconds: float) -> None:
        with self.lock:
            self.latencies.setdefault(step, []).append(seconds)


def prepare_opening(args, people: int) -> Opening:
    """A program with one required document and a quota, and ``people``
    citizens with a session each (as the digital ID's sign-in makes them)."""
    from portal import create_app
    from portal.catalog.models import Call, Requirement
    from portal.citizens.models import Citizen
    from portal.web.database import write
    from portal.web.extensions import db
    from portal.web.sessions import create_session_row
    from portal.web.tables import find
    from tests.factories import make_agency, make_citizen, make_program, valid_curp

    app = create_app(
        {
            "DATABASE_URL": args.url,
            "INSTANCE_PATH": str(args.instance),
            "STORAGE_PATH": str(args.instance / "documentos"),
            "SECRET_KEY": args.secret,
        }
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        name = app.config["SESSION_COOKIE_NAME"]
        tag = uuid.uuid4().hex[:8]
        with write():
            # Names of this run's own: the factories' counters start again in
            # every process, and a second run on the same database would repeat them.
            agency = make_agency(slug=f"apertura-{tag}", name=f"Dependencia de apertura {tag}")
            program = make_program(
                agency,
                slug=f"apertura-{tag}",
                name=f"Apertura {tag}",
                requirements=("identificacion",),
            )
            Call.update(quota=args.quota).where(Call.program == program).execute()
            requirement = Requirement.get(Requirement.program == program)
        cookies = []
        # A birth date of this run's for every 13,824 people (the factories' CURPs
        # differ only in three letters): CURPs no earlier run has used.
        # On a registry of millions some are taken already (demo-data draws
        # from the same space): those are skipped.
        first_day = dt.date(1940, 1, 1) + dt.timedelta(days=secrets.randbelow(20_000))
        n = 0
        while len(cookies) < people:
            with write():
                for _ in range(min(500, people - len(cookies))):
                    born = first_day + dt.timedelta(days=n // 13_824)
                    curp_text = valid_curp(born, "M", n=n)
                    n += 1
                    if find(Citizen, Citizen.curp, curp_text) is not None:
                        continue
                    citizen = make_citizen(curp=curp_text, birth_date=born)
                    sid = create_session_row({"_user_id": citizen.get_id(), "_fresh": True})
                    cookies.append((citizen.id, f"{name}={sid}"))
        db.close()
    return Opening(program.slug, requirement.id, args.quota, cookies)


def _request(port, method, path, cookie, body=b"", content_type=""):
    connection = http.client.HTTPConnection(HOST, port, timeout=60)
    headers = {"Cookie": cookie}
    if content_type:
        headers["Content-Type"] = content_type
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read().decode("utf-8", "replace")
        return response.status, response.getheader("Location") or "", data
    finally:
        connection.close()


def _multipart(fields: dict[str, str], name: str, filename: str, data: bytes):
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'.encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def applicant(opening: Opening, ports: list[int], queue: list, deadline: float, pdf: bytes):
    form = "application/x-www-form-urlencoded"
    turn = 0
    while time.time() < deadline:
        with opening.lock:
            if not queue:
                return
            citizen_id, cookie = queue.pop()
        port = ports[turn % len(ports)]
        turn += 1
        try:
            began = time.perf_counter()
            status, _loc, html = _request(
                port, "GET", "/cuestionario/pregunta/household_size", cookie
            )
            body = urlencode({"csrf_token": csrf_token(html), "answer": "3"}).encode()
            status, _loc, _html = _request(
                port, "POST", "/cuestionario/pregunta/household_size", cookie, body, form
            )
            opening.timed("answer", time.perf_counter() - began)
            began = time.perf_counter()
            status, _loc, html = _request(
                port, "GET", f"/programas/{opening.slug}/solicitar", cookie
            )
            opening.timed("apply page", time.perf_counter() - began)
            if status != 200:
                raise RuntimeError(f"apply page {status}")
            key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', html)
            body = urlencode(
                {"csrf_token": csrf_token(html), "idempotency_key": key.group(1) if key else ""}
            ).encode()
            began = time.perf_counter()
            status, location, _html = _request(
                port, "POST", f"/programas/{opening.slug}/solicitar", cookie, body, form
            )
            opening.timed("start", time.perf_counter() - began)
            folio_match = re.search(r"/mis-solicitudes/([^/]+)/documentos", location)
            if status != 303 or not folio_match:
                raise RuntimeError(f"start {status} {location}")
            folio = folio_match.group(1)
            status, _loc, html = _request(
                port, "GET", f"/mis-solicitudes/{folio}/documentos", cookie
            )
            token = csrf_token(html)
            body, content_type = _multipart({"csrf_token": token}, "document", "ine.pdf", pdf)
            began = time.perf_counter()
            status, _loc, _html = _request(
                port,
                "POST",
                f"/mis-solicitudes/{folio}/requisitos/{opening.requirement_id}",
                cookie,
                body,
                content_type,
            )
            opening.timed("upload", time.perf_counter() - began)
            if status != 303:
                raise RuntimeError(f"upload {status}")
            # Submit twice at once, as a double click on a slow connection does.
            outcomes: list[int] = []
            submit_body = urlencode({"csrf_token": token}).encode()

            def send(
                outcomes=outcomes, folio=folio, cookie=cookie, submit_body=submit_body, port=port
            ):
                t0 = time.perf_counter()
                code, _l, _h = _request(
                    port, "POST", f"/mis-solicitudes/{folio}/enviar", cookie, submit_body, form
                )
                opening.timed("submit", time.perf_counter() - t0)
                outcomes.append(code)

            twins = [threading.Thread(target=send) for _ in range(2)]
            for t in twins:
                t.start()
            for t in twins:
                t.join()
            if 303 not in outcomes:
                raise RuntimeError(f"submit {outcomes}")
            with opening.lock:
                opening.submitted.append(citizen_id)
        except Exception as error:  # noqa: BLE001 - every failure is reported
            with opening.lock:
                opening.failures.append(f"{type(error).__name__}: {error}")


def opening_of_a_call(args, ports: list[int]) -> bool:
    from tests.application_builders import MINIMAL_PDF

    people = args.applicants * 40
    print(f"\nApertura de convocatoria: preparando {people:,} personas con sesión ...", flush=True)
    opening = prepare_opening(args, people)
    queue = list(reversed(opening.cookies))
    before = load()
    began = time.perf_counter()
    deadline = time.time() + args.call_duration
    threads = [
        threading.Thread(target=applicant, args=(opening, ports, queue, deadline, MINIMAL_PDF))
        for _ in range(args.applicants)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    print(
        f"{args.applicants} personas a la vez durante {elapsed:.0f} s, "
        f"carga {before} -> {load()}; {len(opening.submitted)} envíos "
        f"({len(opening.submitted) / elapsed:.1f}/s), {len(opening.failures)} fallas"
    )
    print("| paso | n | p50 ms | p95 ms | p99 ms |\n| --- | ---: | ---: | ---: | ---: |")
    for step, values in opening.latencies.items():
        ms = sorted(v * 1000 for v in values)
        print(
            f"| {step} | {len(ms)} | {statistics.median(ms):.0f} | "
            f"{ms[int(len(ms) * 0.95)]:.0f} | {ms[int(len(ms) * 0.99)]:.0f} |"
        )
    for kind in sorted(set(opening.failures))[:10]:
        print(f"  falla: {kind}")
    return check_opening(args, opening)


def check_opening(args, opening: Opening) -> bool:
    """Every submitted person has exactly one live application; the quota holds."""
    from portal import create_app
    from portal.applications import workflow as apps
    from portal.catalog.models import Call, Program
    from portal.models import Application
    from portal.web.extensions import db
    from portal.web.tables import tuples

    app = create_app({"DATABASE_URL": args.url, "INSTANCE_PATH": str(args.instance),
                      "SECRET_KEY": args.secret})  # fmt: skip
    with app.app_context():
        db.connect(reuse_if_open=True)
        program = Program.get(Program.slug == opening.slug)
        call = Call.get(Call.program == program)
        live = dict(
            tuples(
                Application.select(Application.citizen, fn.COUNT(Application.id))
                .where(
                    (Application.program == program)
                    & Application.status.in_([s for s in apps.LIVE_STATUSES if s != "borrador"])
                )
                .group_by(Application.citizen)
            )
        )
        db.close()
    duplicated = sum(1 for n in live.values() if n > 1)
    lost = sum(1 for c in opening.submitted if c not in live)
    total = sum(live.values())
    ok = duplicated == 0 and lost == 0 and total <= opening.quota
    print(
        f"comprobación: {total} solicitudes vivas (cupo {opening.quota}, contador "
        f"{call.places_taken}), {lost} perdidas, {duplicated} duplicadas: "
        f"{'bien' if ok else 'MAL'}"
    )
    return ok


# Main ---------------------------------------------------------------------------------


def build_if_needed(args) -> None:
    if args.url.startswith("sqlite") and Path(args.url.removeprefix("sqlite:///")).exists():
        return
    if not args.citizens:
        return
    env = server_env(args, 0)
    flask = str(VENV_BIN / "flask")
    subprocess.run([flask, "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True)
    began = time.perf_counter()
    subprocess.run(
        [flask, "--app", "wsgi", "demo-data", "--citizens", str(args.citizens)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    print(f"demo-data --citizens {args.citizens:,}: {time.perf_counter() - began:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--url", help="DATABASE_URL (PostgreSQL: required)")
    parser.add_argument("--citizens", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--connections", default="8,32,64")
    parser.add_argument(
        "--only", default="", help="pages whose name contains one of these (=NAME: exactly)"
    )
    parser.add_argument("--page-cache", choices=("on", "off", "both"), default="both")
    parser.add_argument("--servers", type=int, choices=(1, 2), default=1)
    parser.add_argument("--applicants", type=int, default=200)
    parser.add_argument("--call-duration", type=float, default=120)
    parser.add_argument("--quota", type=int, default=100_000)
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-opening", action="store_true")
    args = parser.parse_args()
    args.instance = args.instance.resolve()
    args.instance.mkdir(parents=True, exist_ok=True)
    if not args.url:
        if args.database == "postgresql":
            parser.error("--database postgresql necesita --url postgresql://...")
        args.url = f"sqlite:///{args.instance / 'portal.db'}"
    args.connections = [int(c) for c in args.connections.split(",")]
    args.only = [o for o in args.only.split(",") if o]
    args.secret = secrets.token_hex(32)
    binary = ensure_wrk()
    build_if_needed(args)

    facts = prepare(args)
    engine = "SQLite" if args.url.startswith("sqlite") else "PostgreSQL"
    print(
        f"{engine}, {facts['citizens']:,} personas, {facts['applications']:,} solicitudes; "
        f"{args.workers} workers x 2 hilos, {args.servers} servidor(es); {os.cpu_count()} CPU; "
        f"carga {load()}; datos abiertos reconstruidos en {facts['build_seconds']:.1f} s"
    )
    bare = start_server("bare", "bench.load_bare:app", BARE_PORT, server_env(args, 0), args)
    ok = True
    try:
        cache_modes = {"on": [10], "off": [0], "both": [10, 0]}[args.page_cache]
        for seconds in cache_modes:
            label = f"caché {seconds} s" if seconds else "sin caché"
            servers = [
                start_server("portal", "wsgi:app", PORTAL_PORT + i, server_env(args, seconds), args)
                for i in range(args.servers)
            ]
            balancer = None
            port = servers[0].port
            if args.servers > 1:
                balancer = subprocess.Popen(
                    [sys.executable, str(ROOT / "bench" / "load_balance.py"), str(BALANCER_PORT)]
                    + [str(s.port) for s in servers]
                )
                time.sleep(0.5)
                port = BALANCER_PORT
            try:
                rest = [round(r) for s in servers for r in s.rss_mb()]
                print(
                    f"\n{label}: workers listos en "
                    f"{', '.join(f'{s.ready_seconds:.1f}' for s in servers)} s; "
                    f"RSS por worker en reposo {rest} MB"
                )
                found = pages(facts, port)
                # Pages the page cache never serves (the questionnaire with
                # answers, signed-in and back-office pages) are measured with
                # the production setting; with the cache off only the pages it
                # would serve are measured again, for their own cost.
                if seconds or args.page_cache != "both":
                    found_now = found
                else:
                    found_now = [p for p in found if p.cacheable]
                if not args.skip_pages:
                    print(
                        "| página | caché | conexiones | req/s | p50 ms | p95 ms | Flask req/s "
                        "| razón | carga 1/5 min | |\n"
                        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
                    )
                    measure_pages(args, binary, port, bare, found_now, label)
                    busy = [round(r) for s in servers for r in s.rss_mb()]
                    print(f"RSS por worker después de la carga {busy} MB")
                    if seconds == cache_modes[0]:
                        print(
                            "\n| ráfaga | conexiones | req/s | p50 ms | p95 ms | descargas | carga |"
                        )
                        print("| --- | ---: | ---: | ---: | ---: | --- | --- |")
                        burst(args, binary, port, found)
                if seconds == cache_modes[0] and not args.skip_opening:
                    ok = opening_of_a_call(args, [s.port for s in servers]) and ok
                    print(
                        f"RSS por worker bajo la apertura {[round(r) for s in servers for r in s.rss_mb()]} MB"
                    )
            finally:
                if balancer:
                    balancer.terminate()
                    balancer.wait()
                for s in servers:
                    s.stop()
    finally:
        bare.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
