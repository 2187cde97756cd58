"""Drive the tests' SMSC (tests/support/smsc.cjs, an SMPP 3.4 server on the npm
``smpp`` package) from Python: start it on a free loopback port, read what it
received (binds, submit_sm with their decoded text), inject messages from
phones and choose the state of the next delivery receipts."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Self

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "tests" / "support" / "smsc.cjs"
READY = "SMSC_READY "
SYSTEM_ID = "ventanilla"
PASSWORD = "secreto"  # noqa: S105 - the test SMSC's account


class SmscError(RuntimeError):
    """The SMSC did not start, or an awaited event did not come."""


class Smsc:
    def __init__(self) -> None:
        self.port = 0
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self._process: subprocess.Popen[str] | None = None

    def start(self) -> Self:
        self._process = subprocess.Popen(
            ["node", str(SCRIPT), "--port", "0", "--system-id", SYSTEM_ID, "--password", PASSWORD],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        assert self._process.stdout is not None
        first = self._process.stdout.readline()
        if not first.startswith(READY):
            self.stop()
            raise SmscError(f"the SMSC did not start: {first!r}")
        self.port = int(first[len(READY) :])
        threading.Thread(target=self._read, args=(self._process.stdout,), daemon=True).start()
        return self

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            if line.startswith("{"):
                self.events.put(json.loads(line))

    def stop(self) -> None:
        if self._process is None:
            return
        if self._process.stdin:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def command(self, **command: Any) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.write(json.dumps(command) + "\n")
        self._process.stdin.flush()
        self.wait_for(lambda e: e["event"] == "done" and e["cmd"] == command["cmd"])

    def phone_sends(self, source_addr: str, text: str, **extra: Any) -> None:
        """A message from the phone ``source_addr`` (e.g. ``524421234567``)."""
        self.command(cmd="mo", source_addr=source_addr, text=text, **extra)

    def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10
    ) -> dict[str, Any]:
        """The first event (seen before or arriving) that matches ``predicate``."""
        for event in self.seen:
            if predicate(event):
                self.seen.remove(event)
                return event
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=left)
            except queue.Empty:
                break
            if predicate(event):
                return event
            self.seen.append(event)
        raise SmscError(f"no matching event in {timeout} s; seen: {self.seen}")

    def drain(self, wait: float = 0.3) -> list[dict[str, Any]]:
        """Every event so far (after ``wait`` seconds of quiet)."""
        time.sleep(wait)
        while True:
            try:
                self.seen.append(self.events.get_nowait())
            except queue.Empty:
                break
        events, self.seen = self.seen, []
        return events
