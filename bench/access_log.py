"""What the access log costs `/healthz` under gunicorn, against a bare Flask page.

    .venv/bin/python -m bench.access_log [--seconds 5] [--rounds 2] [--clients 8]

Serves, one at a time on loopback with gunicorn.conf.py's settings (one
worker, its threads): a bare Flask app without access log (the baseline), and
the portal's `/healthz` without access log, with gunicorn's own access logger
(it builds a dictionary of every header and environment variable per request,
in the request's thread) and with the portal's `QueuedAccessLogger` (the
request's thread queues six values; a thread writes the line). The log goes to
a file, as in production. Each set-up is measured in rounds, interleaved
(A B C D A B C D), by keep-alive clients in threads of this process; printed:
requests per second, the ratio to the bare page of the same round, and the
load average (`os.getloadavg()`): absolute figures move with the machine.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUPS = {
    "bare page, no access log": ("bench.access_log:bare_app", None, "/"),
    "/healthz, no access log": ("wsgi:app", None, "/healthz"),
    "/healthz, gunicorn's access log": ("wsgi:app", "gunicorn.glogging.Logger", "/healthz"),
    "/healthz, queued access log": ("wsgi:app", "portal.web.logs.QueuedAccessLogger", "/healthz"),
}


def _bare():
    from flask import Flask, jsonify

    app = Flask("bare")

    @app.get("/")
    def page():
        return jsonify(status="ok", database="ok", storage="ok", queue="ok")

    return app


def __getattr__(name: str):
    # gunicorn imports bench.access_log:bare_app; build it only then.
    if name == "bare_app":
        return _bare()
    raise AttributeError(name)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(target: str, logger_class: str | None, env: dict, log_file: Path):
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--workers",
        "1",
        "--bind",
        f"127.0.0.1:{port}",
        "--error-logfile",
        os.devnull,
    ]
    if logger_class is None:
        env = dict(env, GUNICORN_ACCESSLOG="off")
    else:
        command += ["--logger-class", logger_class, "--access-logfile", str(log_file)]
    process = subprocess.Popen(
        [*command, target], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gunicorn did not start for {target}")


def _load(port: int, path: str, seconds: float, clients: int) -> tuple[float, int]:
    """(requests per second, non-200 answers) from keep-alive clients."""
    counts = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            counts[index] += 1
            if response.status != 200:
                errors[index] += 1
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started), sum(errors)


def _prepare(folder: Path) -> dict:
    env = dict(
        os.environ,
        INSTANCE_PATH=str(folder),
        SECRET_KEY="bench-" + "x" * 40,
        DATABASE_URL=f"sqlite:///{folder / 'portal.db'}",
        PYTHONPATH=str(ROOT),
    )
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=2)
    args = parser.parse_args()
    results: dict[str, list[float]] = {name: [] for name in SETUPS}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = _prepare(folder)
        for _ in range(args.rounds):
            for name, (target, logger_class, path) in SETUPS.items():
                process, port = _serve(target, logger_class, env, folder / "access.log")
                try:
                    _load(port, path, 1, args.clients)  # warm-up
                    rate, errors = _load(port, path, args.seconds, args.clients)
                finally:
                    process.terminate()
                    process.wait(timeout=30)
                if errors:
                    print(f"{name}: {errors} requests failed or were not 200", file=sys.stderr)
                results[name].append(rate)
        lines = (
            (folder / "access.log").read_text().count("\n")
            if (folder / "access.log").exists()
            else 0
        )
    bare = results["bare page, no access log"]
    print(
        f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}"
    )
    print(f"{'set-up':36} {'req/s (median of rounds)':>26} {'ratio to bare':>14}")
    for name, rates in results.items():
        ratios = sorted(rate / base for rate, base in zip(rates, bare, strict=True))
        rates_sorted = sorted(rates)
        print(f"{name:36} {rates_sorted[len(rates) // 2]:26.0f} {ratios[len(ratios) // 2]:14.2f}")
    print(f"access-log lines written: {lines}")


if __name__ == "__main__":
    main()
