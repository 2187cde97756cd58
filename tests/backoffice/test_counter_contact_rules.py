"""The rule of contact data taken at the counter, for every input: either the
person's consent and their data are stored together, the phone as its 10
digits, or nothing at all is (no consent, no change, no audit entry)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.backoffice.audit import Actor
from portal.citizens import consents
from portal.citizens import record as citizens
from portal.citizens.phones import PhoneError
from portal.models import AuditEvent, Citizen, Consent
from portal.vocabulary import AuditAction, ConsentPurpose
from tests.factories import make_citizen, make_municipality, make_staff

PHONES = st.one_of(
    st.text(alphabet="0123456789 +-()./", max_size=18),
    st.from_regex(r"\+?(52)?1?[2-9][0-9]{9}", fullmatch=True),
    st.text(max_size=12),
)


@pytest.fixture
def clerk(app):
    make_municipality()
    return Actor.staff(make_staff("ventanilla_estatal"))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(phone=PHONES, tell=st.booleans())
def test_contact_and_consent_are_stored_together_or_not_at_all(clerk, phone, tell):
    citizen = make_citizen()
    values = {"phone": phone, "notify_channel": "sms" if phone else "portal"}
    try:
        changed = citizens.take_contact_at_counter(
            citizen, values, "22014", clerk, tell_of_programs=tell
        )
    except PhoneError:
        assert Citizen.get_by_id(citizen.id).phone == ""
        assert not Consent.select().where(Consent.citizen == citizen.id).exists()
        assert not (
            AuditEvent.select()
            .where(
                (AuditEvent.object_id == str(citizen.id))
                & (AuditEvent.action == AuditAction.COUNTER_CONTACT)
            )
            .exists()
        )
        return
    stored = Citizen.get_by_id(citizen.id).phone
    assert stored == "" if not phone.strip() else (len(stored) == 10 and stored.isdigit())
    assert consents.in_force(citizen.id, ConsentPurpose.CONTACTO).granted_by_id == clerk.id
    assert (consents.in_force(citizen.id, ConsentPurpose.AVISOS_PROGRAMAS) is not None) == tell
    entry = AuditEvent.get(
        (AuditEvent.object_id == str(citizen.id))
        & (AuditEvent.action == AuditAction.COUNTER_CONTACT)
    )
    assert entry.details == {"fields": changed}


def test_withdrawing_what_was_never_granted_changes_nothing(clerk):
    citizen = make_citizen()
    assert consents.revoke(citizen, ConsentPurpose.AVISOS_PROGRAMAS, clerk) is False
    assert not AuditEvent.select().where(AuditEvent.action == AuditAction.CONSENT_REVOKE).exists()


def test_granting_again_after_withdrawing_adds_a_new_dated_row(clerk):
    citizen = make_citizen()
    first = consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, clerk)
    assert consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, clerk).id == first.id
    consents.revoke(citizen, ConsentPurpose.AVISOS_PROGRAMAS, clerk)
    second = consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, clerk)
    assert second.id != first.id
    assert Consent.get_by_id(first.id).revoked_at is not None
    assert consents.in_force(citizen.id, ConsentPurpose.AVISOS_PROGRAMAS).id == second.id


def test_a_consent_given_online_names_no_staff_member(app):
    citizen = make_citizen()
    consent = consents.grant(citizen, ConsentPurpose.AVISOS_PROGRAMAS, Actor.citizen(citizen))
    assert consent.granted_by_id is None
