"""Logging with request ids, without personal data, one record per line.

Code never logs CURPs, tokens or contact data on purpose; :func:`redact` is
the second line of defence that masks them if one slips into a message or an
exception's text. Values that come from a request (a callback's ``error``, a
path) may hold CR, LF or other control characters: the formatter escapes them,
so nobody can forge a log line. A traceback keeps its lines, each continuation
prefixed with ``|`` so that none of them can pass for a record of its own.

The access log of the production server (gunicorn) is written by a thread of
its own (:class:`QueuedAccessLogger`): a request only appends six values to a
queue, and the formatting and writing happen after its response has gone.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import queue
import re
import threading
from typing import Any

from flask import g, has_request_context
from gunicorn.glogging import Logger as GunicornLogger

_REDACT = [
    (re.compile(r"\b[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z\d]\d\b", re.I), "[CURP]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), "[TOKEN]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[CORREO]"),
    (re.compile(r"\b\d{10}\b"), "[TELEFONO]"),
]
# C0 and C1 control characters, DEL, and the Unicode line and paragraph
# separators that some log viewers also break lines at.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MARGIN = "    | "


def redact(text: str) -> str:
    for pattern, replacement in _REDACT:
        text = pattern.sub(replacement, text)
    return text


def _escape_char(match: re.Match[str]) -> str:
    char = match.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{ord(char):02x}")


def escape(text: str) -> str:
    """``text`` on one line: every control character written as an escape."""
    return _CONTROL.sub(_escape_char, text)


def _multiline(text: str) -> str:
    """A traceback's lines, each escaped and behind a margin (logging puts it
    on the lines after the message)."""
    return "\n".join(MARGIN + escape(line) for line in text.splitlines())


class PersonalDataFilter(logging.Filter):
    """Masks personal data in the record itself (for any handler) and adds
    the request id (``-`` outside a request) that the format prints."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class SafeFormatter(logging.Formatter):
    """Redacts and escapes the message, the exception text and the stack."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = escape(redact(record.message))
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return _multiline(redact(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return _multiline(redact(super().formatStack(stack_info)))

    def format(self, record: logging.LogRecord) -> str:
        # logging caches the exception text on the record; ours must not be
        # skipped because another handler formatted it first without redaction.
        record.exc_text = None
        return super().format(record)


FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def init_app(app) -> None:
    """Configure the "portal" logger, which is also ``app.logger``."""
    handler = logging.StreamHandler()
    handler.setFormatter(SafeFormatter(FORMAT))
    handler.addFilter(PersonalDataFilter())
    portal_logger = logging.getLogger("portal")
    portal_logger.handlers[:] = [handler]
    portal_logger.setLevel(app.config["LOG_LEVEL"])
    portal_logger.propagate = False


def access_line(
    address: str, method: str, path: str, status: str, sent: int | None, millis: int
) -> str:
    """One access-log line: no query string (it may hold a folio or a code)."""
    return (
        f'{escape(address)} "{escape(method)} {escape(path)}" {escape(status)} '
        f"{sent if sent is not None else '-'} {millis}ms"
    )


class QueuedAccessLogger(GunicornLogger):
    """gunicorn's logger with the access log written by a background thread.

    gunicorn's own ``access()`` builds a dictionary of every request header,
    response header and environment variable, then formats it, while the
    request's thread waits. Here the request's thread takes the six values the
    line needs and returns; a thread of each worker process writes the lines.
    ``gunicorn.conf.py`` names this class as ``logger_class``.
    """

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        self._queue: queue.SimpleQueue[tuple | None] = queue.SimpleQueue()
        self._writer_pid = 0
        self._lock = threading.Lock()

    def access(self, resp: Any, req: Any, environ: dict, request_time: dt.timedelta) -> None:
        if not self.access_log_enabled:
            return
        if self._writer_pid != os.getpid():
            self._start_writer()  # first request of this worker (threads do not survive fork)
        status = resp.status
        self._queue.put(
            (
                environ.get("REMOTE_ADDR", "-"),
                environ.get("REQUEST_METHOD", "-"),
                environ.get("PATH_INFO", ""),
                status.split(None, 1)[0] if isinstance(status, str) else str(status),
                getattr(resp, "sent", None),
                request_time.seconds * 1000 + request_time.microseconds // 1000,
            )
        )

    def _start_writer(self) -> None:
        with self._lock:
            if self._writer_pid == os.getpid():
                return
            self._queue = queue.SimpleQueue()
            threading.Thread(target=self._write, name="access-log", daemon=True).start()
            atexit.register(self.drain)
            self._writer_pid = os.getpid()

    def _write(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self.access_log.info(access_line(*item))
            except Exception:  # noqa: BLE001 - a log line must never stop the writer
                self.error("access log line failed")

    def drain(self) -> None:
        """Write what is queued (at exit: a worker that stops loses no line)."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None:
                self.access_log.info(access_line(*item))
