"""SMS settings refused in production, the receiver command, and the counters."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import config
from portal.sms import quota
from portal.sms.models import SmsCounter

PRODUCTION = {"PORTAL_ENV": "production"}


def test_production_refuses_smpp_without_the_account():
    found = config._sms({**PRODUCTION, "SMS_BACKEND": "smpp", "SMPP_HOST": "smsc.example.mx"})
    assert found == [
        "Con SMS_BACKEND=smpp faltan SMPP_SYSTEM_ID, SMPP_PASSWORD, SMPP_SOURCE_ADDR: los datos "
        "de la cuenta que da el agregador de SMS (docs/sms.md)."
    ]
    assert config._sms({**PRODUCTION, "SMS_BACKEND": "twilio"})
    complete = {
        "SMS_BACKEND": "smpp",
        "SMPP_HOST": "smsc.example.mx",
        "SMPP_SYSTEM_ID": "ventanilla",
        "SMPP_PASSWORD": "x",
        "SMPP_SOURCE_ADDR": "30100",
    }
    assert config._sms({**PRODUCTION, **complete}) == []
    assert config._sms({**PRODUCTION, "SMS_BACKEND": "log"}) == []
    assert config._sms in config.PRODUCTION_CHECKS


def test_the_receiver_command_is_registered(app):
    result = app.test_cli_runner().invoke(args=["sms-receiver", "--help"])
    assert result.exit_code == 0 and "SMSC" in result.output


# The counters are emptied at the start of every example.
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cap=st.integers(0, 6), tries=st.integers(0, 10))
def test_a_cap_is_never_exceeded_and_counts_by_number(app, cap, tries):
    SmsCounter.delete().execute()
    granted = [quota.take("4421234567", quota.SENT, cap) for _ in range(tries)]
    assert sum(granted) == min(cap, tries)
    assert granted == sorted(granted, reverse=True)  # all yes, then all no
    assert quota.used("4421234567", quota.SENT) == min(cap, tries)
    assert quota.used("4427654321", quota.SENT) == 0
    assert quota.used("4421234567", quota.QUESTION) == 0


def test_counters_name_no_phone_and_old_days_are_forgotten(app):
    today = quota.today()
    quota.take("4421234567", quota.SENT, 5, day=today - dt.timedelta(days=3))
    quota.take("4421234567", quota.SENT, 5)
    assert all("4421234567" not in row.key for row in SmsCounter.select())
    assert quota.forget_old() == 1
    assert quota.used("4421234567", quota.SENT) == 1
