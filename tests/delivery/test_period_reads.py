"""What the scan and the pages read does not grow with the registry: the same
statements, whether the program has one beneficiary or many with deliveries."""

from __future__ import annotations

from contextlib import contextmanager

from portal.delivery import handover as delivery
from portal.delivery import periods
from portal.web.extensions import db
from tests.delivery.period_builders import confirm, make_beneficiary
from tests.factories import make_application


@contextmanager
def statements(monkeypatch):
    seen: list[str] = []
    real = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        seen.append(sql)
        return real(sql, params, *args, **kwargs)

    monkeypatch.setattr(db.obj, "execute_sql", counting)
    yield seen
    monkeypatch.setattr(db.obj, "execute_sql", real)


def _reads(monkeypatch, credential, operator, application):
    with statements(monkeypatch) as seen:
        delivery.recheck(credential, operator)
        periods.shown_standing(application)
    return len(seen)


def test_the_scan_and_the_history_read_the_same_whatever_the_registry(app, monkeypatch):
    application, credential, point, operator = make_beneficiary()
    confirm(credential, operator, point, period=1)
    alone = _reads(monkeypatch, credential, operator, application)
    for _ in range(30):
        other = make_application(program=application.program, status="aprobada")
        confirm(delivery.issue_credential(other), operator, point)
    assert _reads(monkeypatch, credential, operator, application) == alone
    # A handful of single-row or one-application lookups, not a scan.
    assert alone <= 12
