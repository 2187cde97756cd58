"""Logging with request ids and without personal data.

Code never logs CURPs, tokens or contact data on purpose; this filter is the
second line of defence that masks them if one slips into a message.
"""

from __future__ import annotations

import logging
import re

from flask import g, has_request_context

_REDACT = [
    (re.compile(r"\b[A-Z][AEIOUX][A-Z]{2}\d{6}[HMX][A-Z]{5}[A-Z\d]\d\b", re.I), "[CURP]"),
    (re.compile(r"\beyJ[\w-]+\.[\w-]+\.[\w-]*"), "[TOKEN]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[CORREO]"),
    (re.compile(r"\b\d{10}\b"), "[TELEFONO]"),
]


def redact(text: str) -> str:
    for pattern, replacement in _REDACT:
        text = pattern.sub(replacement, text)
    return text


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = ()
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def init_app(app) -> None:
    """Configure the "portal" logger, which is also ``app.logger``."""
    handler = logging.StreamHandler()
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
    )
    handler.addFilter(PersonalDataFilter())
    portal_logger = logging.getLogger("portal")
    portal_logger.handlers[:] = [handler]
    portal_logger.setLevel(app.config["LOG_LEVEL"])
    portal_logger.propagate = False
