"""Benchmark: a flood of staff sign-ins with wrong passwords while a citizen saves their profile.

The attack that found issue 14's item 2: 12 anonymous clients send wrong
passwords to /oficina/entrar as fast as the server answers, while one citizen
saves their contact details over and over. Served as in production: gunicorn
with gunicorn.conf.py, PORTAL_ENV=production, the default SQLite deployment,
the rate limits' counts in a real redis-server started here on loopback.

Three rounds, each on a fresh server: the production settings with every
flooder at one address (as from one machine); twelve addresses (TRUSTED_PROXIES=1
and an X-Forwarded-For per flooder: twelve machines, each with its own
budget); and the rate limits switched off (RATELIMIT_ENABLED=false), where
every wrong password costs one scrypt, so the figure shows what hashing
outside the write transaction alone is worth. In each round the same citizen's
save is first measured without the flood (the baseline), then during it.
Target: the save's p95 under 200 ms and no 5xx from anybody.

    .venv/bin/python bench/signin_flood.py [SAVES] [FLOODERS]

Sends traffic only to 127.0.0.1; every loop is bounded by count and time.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal import create_app  # noqa: E402
from portal.citizens.record import PRIVACY_VERSION  # noqa: E402
from portal.web import database  # noqa: E402
from portal.web.extensions import db  # noqa: E402
from portal.web.sessions import create_session_row  # noqa: E402
from tests.factories import make_citizen, make_staff  # noqa: E402
from tests.support import redis_server  # noqa: E402

TARGET_P95_MS = 200
SAVES_SECONDS_MAX = 90  # a round's saves stop after this even if fewer than asked
FLOOD_SECONDS_MAX = 150  # a round's flood stops by itself after this, whatever happens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


class Client:
    """One browser: a keep-alive connection, its cookie and, optionally, its address."""

    def __init__(self, port: int, cookie: str = "", forwarded_for: str = "") -> None:
        self.port = port
        self.cookie = cookie
        self.forwarded_for = forwarded_for
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in range(2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                # The server closed an idle keep-alive connection: open another.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie" and not self.cookie:
                self.cookie = value.split(";", 1)[0]
        return response.status, text


def form_values(page: str, form_selector: str) -> dict[str, str]:
    """Every field of the form as the browser would send it unchanged."""
    form = BeautifulSoup(page, "html.parser").select_one(form_selector)
    if form is None:
        raise SystemExit(f"no form {form_selector!r} in the page")
    values: dict[str, str] = {}
    for field in form.select("input[name], select[name], textarea[name]"):
        name = field["name"]
        if field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            values[name] = chosen.get("value", "") if chosen else ""
        elif field.get("type") in ("radio", "checkbox"):
            if field.has_attr("checked"):
                values[name] = field.get("value", "on")
        elif field.name == "textarea":
            values[name] = field.get_text()
        else:
            values[name] = field.get("value", "")
    return values


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def prepare(folder: Path) -> tuple[str, str]:
    """A migrated SQLite file with one reviewer and one citizen; (reviewer e-mail, session id)."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "documentos"),
        }
    )
    with app.app_context():
        database.upgrade()
        db.connect(reuse_if_open=True)
        reviewer = make_staff("revisor")
        citizen = make_citizen(privacy_version=PRIVACY_VERSION)
        sid = create_session_row({"_user_id": citizen.get_id(), "_fresh": True})
        db.close()
    return reviewer.email, sid


class Server:
    """gunicorn as in production (gunicorn.conf.py), on a port of its own."""

    def __init__(self, folder: Path, redis_url: str, extra_env: dict[str, str]) -> None:
        self.port = free_port()
        env = {
            **os.environ,
            "PORTAL_ENV": "production",
            "SECRET_KEY": secrets.token_hex(32),
            "PORTAL_BASE_URL": "https://ventanilla.example.org",
            "OIDC_ISSUER": "https://id.example.org",
            "OIDC_CLIENT_SECRET": secrets.token_hex(16),
            "CREDENTIAL_PRIVATE_KEY": secrets.token_urlsafe(32),
            "AUDIT_SIGNING_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": f"sqlite:///{folder / 'portal.db'}",
            "INSTANCE_PATH": str(folder),
            "STORAGE_PATH": str(folder / "documentos"),
            "RATELIMIT_STORAGE_URL": redis_url,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "LOG_LEVEL": "WARNING",
            **extra_env,
        }
        self.log = open(folder / f"gunicorn-{self.port}.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, self.process)
        self.workers = env.get("WEB_CONCURRENCY") or str(os.cpu_count() * 2 + 1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def saves(
    client: Client, n: int, form: dict[str, str], seconds: float = SAVES_SECONDS_MAX
) -> tuple[list[float], Counter]:
    """``n`` saves one after another (fewer if ``seconds`` run out first)."""
    latencies: list[float] = []
    statuses: Counter = Counter()
    deadline = time.monotonic() + seconds
    for i in range(n):
        if time.monotonic() > deadline:
            break
        form = {**form, "phone": f"44255{i % 100000:05d}"}
        began = time.perf_counter()
        status, _ = client.request("POST", "/mis-datos/editar", form)
        latencies.append((time.perf_counter() - began) * 1000)
        statuses[status] += 1
    return latencies, statuses


def flood(
    port: int,
    email: str,
    stop: threading.Event,
    addresses: list[str],
    statuses: Counter,
    lock: threading.Lock,
) -> None:
    """One anonymous client sending wrong passwords until told to stop (or the time cap)."""
    address = addresses.pop()
    client = Client(port, forwarded_for=address)
    status, page = client.request("GET", "/oficina/entrar")
    token = form_values(page, "form[method=post]").get("csrf_token", "")
    deadline = time.monotonic() + FLOOD_SECONDS_MAX
    n = 0
    while not stop.is_set() and time.monotonic() < deadline:
        # Half the guesses at the real reviewer, half at e-mails nobody has.
        target = email if n % 2 else f"nadie{n}@dependencia.example.org"
        status, _ = client.request(
            "POST",
            "/oficina/entrar",
            {"csrf_token": token, "email": target, "password": f"incorrecta-{n}"},
        )
        with lock:
            statuses[status] += 1
        n += 1


def one_round(
    name: str,
    folder: Path,
    redis_url: str,
    env: dict[str, str],
    n: int,
    flooders: int,
    many_addresses: bool,
) -> dict:
    email, sid = prepare(folder)
    server = Server(folder, redis_url, env)
    try:
        citizen = Client(
            server.port,
            cookie=f"__Host-vu_sesion={sid}",
            forwarded_for="192.0.2.200" if many_addresses else "",
        )
        status, page = citizen.request("GET", "/mis-datos/editar")
        if status != 200:
            raise SystemExit(f"the citizen's form answered {status}")
        form = form_values(page, "main form[method=post]")
        saves(citizen, 10, form)  # warm every worker's caches
        baseline, baseline_statuses = saves(citizen, n, form)

        stop = threading.Event()
        lock = threading.Lock()
        flood_statuses: Counter = Counter()
        addresses = [f"198.51.100.{i + 1}" if many_addresses else "" for i in range(flooders)]
        threads = [
            threading.Thread(
                target=flood, args=(server.port, email, stop, addresses, flood_statuses, lock)
            )
            for _ in range(flooders)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(2)  # the flood is under way before the first save
        during, during_statuses = saves(citizen, n, form)
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.perf_counter() - began
        load = os.getloadavg()
    finally:
        server.stop()
    fives = sum(c for s, c in {**baseline_statuses, **during_statuses}.items() if s >= 500)
    fives += sum(c for s, c in flood_statuses.items() if s >= 500)
    return {
        "name": name,
        "workers": server.workers,
        "baseline": baseline,
        "during": during,
        "save_statuses": during_statuses,
        "flood_statuses": flood_statuses,
        "flood_rate": sum(flood_statuses.values()) / elapsed,
        "fives": fives,
        "load": load,
    }


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    try:
        return redis_server.start(folder)
    except redis_server.RedisMissing as missing:
        raise SystemExit(str(missing)) from None


def main(n: int = 200, flooders: int = 12) -> int:
    top = Path(tempfile.mkdtemp(prefix="bench-signin-"))
    redis, redis_url = start_redis(top)
    rounds = [
        ("production, flood from one address", {}, False),
        ("production, 12 addresses behind a proxy", {"TRUSTED_PROXIES": "1"}, True),
        ("rate limits off (hashing fix alone)", {"RATELIMIT_ENABLED": "false"}, False),
    ]
    results = []
    try:
        for i, (name, env, many) in enumerate(rounds):
            folder = top / f"round{i}"
            folder.mkdir()
            results.append(one_round(name, folder, redis_url, env, n, flooders, many))
    finally:
        redis.terminate()
        redis.wait(timeout=10)
    print(f"Sign-in flood: {flooders} clients with wrong passwords, one citizen saving {n} times")
    print(f"(gunicorn.conf.py, PORTAL_ENV=production, SQLite; {os.cpu_count()} cores)\n")
    ok = True
    for r in results:
        base_p50, base_p95 = statistics.median(r["baseline"]), percentile(r["baseline"], 95)
        p50, p95, worst = (
            statistics.median(r["during"]),
            percentile(r["during"], 95),
            max(r["during"]),
        )
        passed = p95 < TARGET_P95_MS and r["fives"] == 0
        ok = ok and passed
        print(f"## {r['name']} ({r['workers']} workers)")
        print(f"  save without flood: p50 {base_p50:.1f} ms, p95 {base_p95:.1f} ms")
        print(
            f"  save during flood:  p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms"
            f"  (ratio p95 {p95 / base_p95:.2f}x, p50 {p50 / base_p50:.2f}x)"
        )
        print(
            f"  saves during flood: {len(r['during'])}, answers "
            f"{dict(sorted(r['save_statuses'].items()))}"
        )
        print(
            f"  flood: {r['flood_rate']:.0f} requests/s, answers "
            f"{dict(sorted(r['flood_statuses'].items()))}"
        )
        print(f"  5xx from anybody: {r['fives']}")
        print(
            f"  load average (1, 5, 15 min): {r['load'][0]:.2f} {r['load'][1]:.2f} {r['load'][2]:.2f}"
        )
        print(f"  target p95 < {TARGET_P95_MS} ms and no 5xx: {'met' if passed else 'NOT met'}\n")
    shutil.rmtree(top, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
