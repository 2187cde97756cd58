"""Approval and delivery meet: approving issues the QR code in the same transaction."""

from __future__ import annotations

import pytest

from portal.applications import workflow as applications
from portal.backoffice.audit import Actor
from portal.delivery import handover as delivery
from portal.models import Application
from tests.factories import (
    accept_documents,
    make_application,
    make_citizen,
    make_program,
    make_staff,
)
from tests.support.html import html


def test_approving_issues_the_credential_and_the_holder_sees_the_qr(app, login):
    program = make_program()
    citizen = make_citizen()
    reviewer = make_staff("revisor", program.agency)
    application = make_application(citizen, program, status="en_revision")
    actor = Actor.staff(reviewer)
    applications.approve(accept_documents(application), actor, expected_version=application.version)
    approved = Application.get_by_id(application.id)
    credential = delivery.current_credential(approved)
    assert approved.status == "aprobada" and credential is not None
    page = html(login(citizen).get(f"/mis-solicitudes/{approved.folio}"))
    assert page.select_one("section.credential svg") is not None


def test_a_failed_credential_undoes_the_approval(app, monkeypatch):
    program = make_program()
    reviewer = make_staff("revisor", program.agency)
    application = make_application(make_citizen(), program, status="en_revision")

    def broken_key(*args, **kwargs):
        raise delivery.DeliveryError("sin llave")

    monkeypatch.setattr(delivery, "_new_credential", broken_key)
    actor = Actor.staff(reviewer)
    with pytest.raises(delivery.DeliveryError):
        applications.approve(
            accept_documents(application), actor, expected_version=application.version
        )
    assert Application.get_by_id(application.id).status == "en_revision"
