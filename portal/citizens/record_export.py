"""Everything the portal holds about one person, as data: for /mis-datos and
its JSON and CSV downloads.

The CSV goes through :mod:`portal.web.exports`, so no cell can run as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from portal.citizens.models import ADDRESS_FIELDS, CorrectionRequest
from portal.messages import Message, _l
from portal.messages import gettext as _
from portal.models import Application, Citizen
from portal.web import values
from portal.web.exports import csv_text
from portal.web.formatting import wall_clock

RECORD_FIELDS = (
    "curp",
    "given_names",
    "first_surname",
    "second_surname",
    "birth_date",
    "sex",
    "email",
    "phone",
    "notify_channel",
    "language",
    *ADDRESS_FIELDS,
    "municipality",
    "state",
    "privacy_version",
    "privacy_accepted_at",
    "origin",
    "created_at",
    "updated_at",
)


# Sections other areas add to the export, by name: the delivery area's payment
# history (portal/delivery/periods.py). Each gives the person's rows.
more_sections: dict[str, Callable[[Citizen], list[dict[str, Any]]]] = {}


def _plain(value: Any) -> Any:
    # A moment on the state's clock with its offset ("2026-12-02T13:52:00-06:00"):
    # unambiguous for a program, and the hour the person lived it.
    if isinstance(value, dt.datetime):
        return wall_clock(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def personal_data(citizen: Citizen) -> dict[str, Any]:
    record = {
        name: _plain(getattr(citizen, name if name != "municipality" else "municipality_id"))
        for name in RECORD_FIELDS
    }
    return {
        "record": record,
        "identities": [
            {
                "issuer": i.issuer,
                "subject": i.subject,
                "created_at": _plain(i.created_at),
                "last_sign_in_at": _plain(i.last_sign_in_at),
            }
            for i in citizen.identities.order_by("id")
        ],
        "applications": [
            {
                "folio": a.folio,
                "program": a.program.name,
                "status": a.status,
                "submitted_at": _plain(a.submitted_at),
                "decided_at": _plain(a.decided_at),
            }
            for a in Application.select()
            .where(Application.citizen == citizen)
            .order_by(Application.id)
        ],
        "questionnaire": dict(citizen.profile or {}),
        "correction_requests": [
            {
                "field": c.field,
                "requested_value": c.requested_value,
                "reason": c.reason,
                "status": c.status,
                "created_at": _plain(c.created_at),
            }
            for c in CorrectionRequest.select()
            .where(CorrectionRequest.citizen == citizen)
            .order_by(CorrectionRequest.id)
        ],
        **{name: section(citizen) for name, section in more_sections.items()},
    }


# The CSV is for people: sections and data by their names, values by their
# labels (portal/web/values.py). The JSON keeps the machine keys: it is data.
SECTIONS = {
    "record": _l("Expediente"),
    "identities": _l("Cuentas de Llave Digital"),
    "applications": _l("Solicitudes"),
    "correction_requests": _l("Solicitudes de corrección"),
    "payment_history": _l("Historial de apoyos"),
    "solicitudes_por_menores": _l(
        "Solicitudes de una madre, un padre o tutor por una niña o un niño"
    ),
    "questionnaire": _l("Respuestas del cuestionario"),
}
ITEM_LABELS = {
    "issuer": _l("Emisor"),
    "subject": _l("Identificador de la cuenta"),
    "created_at": _l("Fecha"),
    "last_sign_in_at": _l("Último acceso"),
    "folio": _l("Folio"),
    "program": _l("Programa"),
    "programa": _l("Programa"),
    "status": _l("Estado"),
    "estado": _l("Estado"),
    "submitted_at": _l("Enviada el"),
    "decided_at": _l("Resuelta el"),
    "field": _l("Dato"),
    "requested_value": _l("Cómo debe decir"),
    "reason": _l("Motivo"),
    "periodo": _l("Periodo"),
    "desde": _l("Desde"),
    "hasta": _l("Hasta"),
    "monto": _l("Monto"),
    "clave": _l("Clave del estado"),
    "entregado_el": _l("Entregado el"),
    "lugar": _l("Lugar"),
    "solicita": _l("La solicita"),
    "para": _l("Para"),
    "parentesco": _l("Parentesco"),
}
CORRECTION_STATUSES = {
    "pendiente": _l("Pendiente"),
    "atendida": _l("Atendida"),
    "rechazada": _l("Rechazada"),
}


def to_csv(data: dict[str, Any]) -> str:
    """One row per datum: section, item, datum, value, each as people read it."""
    header = (_("Sección"), _("Elemento"), _("Dato"), _("Valor"))
    return csv_text(header, _rows(data))


def _label(table: dict[str, Message], name: str) -> str:
    found = table.get(name)
    return str(found) if found is not None else name.replace("_", " ").capitalize()


def status_text(status: str) -> str:
    from portal.applications.workflow import STATUS_LABELS  # applications builds on citizens

    label = STATUS_LABELS.get(status)
    return str(label) if label is not None else status


def _item_value(section: str, name: str, value: Any) -> Any:
    if value is None:
        return ""
    if section == "applications" and name == "status":
        return status_text(value)
    if section == "correction_requests" and name == "status":
        return _label(CORRECTION_STATUSES, value)
    if section == "correction_requests" and name == "field":
        return values.record_field_label(value)
    if name == "monto" and isinstance(value, int | float):
        return values.money(value)
    return value


def _rows(data: dict[str, Any]) -> Iterator[tuple]:
    record = _label(SECTIONS, "record")
    for name, value in data["record"].items():
        yield (record, "", values.record_field_label(name), values.record_value(name, value))
    for section in ("identities", "applications", "correction_requests", *more_sections):
        title = _label(SECTIONS, section)
        for n, row in enumerate(data[section], start=1):
            for name, value in row.items():
                yield (title, n, _label(ITEM_LABELS, name), _item_value(section, name, value))
    questionnaire = _label(SECTIONS, "questionnaire")
    for label, text in values.answer_rows(data["questionnaire"]):
        yield (questionnaire, "", label, text)
