"""Log lines cannot be forged, and tracebacks are redacted like messages."""

from __future__ import annotations

import datetime as dt
import io
import logging

import pytest

from portal.web.logs import FORMAT, PersonalDataFilter, SafeFormatter, access_line, escape

CURP = "HEGM910412MQTRRR09"


@pytest.fixture
def capture():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter(FORMAT))
    handler.addFilter(PersonalDataFilter())
    logger = logging.getLogger("portal.test-logs")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    yield logger, stream
    logger.handlers[:] = []


def test_crlf_in_a_logged_value_stays_on_one_line(capture):
    logger, stream = capture
    logger.warning("entrada fallida: %s", "x\r\n2026-01-01 00:00:00 INFO [-] portal: falso")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert "\\r\\n2026-01-01" in lines[0]


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\x85", "\u2028", "\t", "\x7f"])
def test_control_characters_are_escaped(char):
    assert char not in escape(f"a{char}b")


def test_traceback_is_redacted_and_cannot_forge_a_record(capture):
    logger, stream = capture
    try:
        raise ValueError(f"CURP {CURP} de ana@correo.example\nINFO forged")
    except ValueError:
        logger.exception("error no controlado")
    text = stream.getvalue()
    assert CURP not in text and "ana@correo.example" not in text
    assert "[CURP]" in text and "[CORREO]" in text
    lines = text.splitlines()
    assert lines[0].endswith("error no controlado")
    assert all(line.startswith("    | ") for line in lines[1:])
    assert not any(line.startswith("INFO") for line in lines)


def test_callback_error_parameter_cannot_forge_a_log_line(capsys, app, client):
    # capsys first: the portal's handler then writes to the captured stderr.
    client.get("/auth/callback?error=x%0D%0AINFO+falso&iss=http%3A%2F%2F127.0.0.1%3A9")
    client.get("/auth/callback?state=x%0D%0AINFO+falso&iss=x%0D%0AINFO+falso")
    err = capsys.readouterr().err
    assert "entrada fallida" in err
    assert "\nINFO falso" not in err


def test_access_line_has_no_query_and_escapes_the_path():
    line = access_line("127.0.0.1", "GET", '/a\n127.0.0.1 "GET /x" 200', "200", 12, 3)
    assert "\n" not in line and line.endswith(" 200 12 3ms")


def test_queued_access_logger_writes_off_the_request_thread():
    from types import SimpleNamespace

    from portal.web.logs import QueuedAccessLogger

    cfg = SimpleNamespace(
        accesslog="-",
        errorlog="-",
        loglevel="info",
        logconfig=None,
        logconfig_dict={},
        logconfig_json=None,
        syslog=False,
        disable_redirect_access_to_syslog=False,
        capture_output=False,
        access_log_format="",
        user=0,
        group=0,
        syslog_addr=None,
        syslog_prefix=None,
        syslog_facility="user",
        statsd_host=None,
        dogstatsd_tags="",
        statsd_prefix="",
    )
    logger = QueuedAccessLogger(cfg)
    written: list[str] = []
    logger.access_log = SimpleNamespace(info=written.append)
    response = SimpleNamespace(status="200 OK", sent=5)
    environ = {"REMOTE_ADDR": "10.0.0.1", "REQUEST_METHOD": "GET", "PATH_INFO": "/healthz"}
    logger.access(response, None, environ, dt.timedelta(milliseconds=4))
    logger.drain()
    import time

    deadline = time.monotonic() + 5
    while not written and time.monotonic() < deadline:
        time.sleep(0.01)
    assert written == ['10.0.0.1 "GET /healthz" 200 5 4ms']
