"""What a brigade device downloads to work offline: catalogs, never people.

The open programs the staff member may file for (with their requirements and
the questionnaire fields their rules read), the questions, the state's
territorial catalogs (municipalities, localities, postal codes and their
settlements, road types), the ID types and the CURP rules the device checks
with (static/field/curp.js). Its size depends on the catalogs only, never on
the registry; :func:`version` is its ETag.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from portal.applications import workflow as apps
from portal.applications.uploads import accept_types
from portal.backoffice.forms import ID_TYPE_LABELS
from portal.catalog import geography as geo
from portal.citizens import curp as curp_rules
from portal.eligibility import flow as questionnaire
from portal.eligibility.profile import FIELDS, sources_of
from portal.eligibility.questions import Question
from portal.field.sync import serves_program
from portal.models import Agency, Program, Requirement, StaffUser
from portal.territory.addresses import ROAD_TYPES
from portal.territory.models import Locality, PostalSettlement

# Fields the registration itself asks (the record holds them): never asked again.
IDENTITY_FIELDS = frozenset({"birth_date", "sex", "municipality"})


def programs_for(staff: StaffUser, today: dt.date) -> list[dict[str, Any]]:
    """The active programs the staff member serves with a call open today."""
    rows = (
        Program.select(Program, Agency)
        .join(Agency)
        .where(Program.active == True)  # noqa: E712
        .order_by(Program.name)
    )
    found = []
    for program in rows:
        if not serves_program(staff, program) or apps.open_call(program, today) is None:
            continue
        fields: list[str] = []
        for condition in program.eligibility or []:
            name = condition.get("field", "") if isinstance(condition, dict) else ""
            for source in sources_of(name) if name in FIELDS else ():
                if source not in fields and source not in IDENTITY_FIELDS:
                    fields.append(source)
        requirements = Requirement.select().where(Requirement.program == program.id)
        found.append(
            {
                "slug": program.slug,
                "name": program.name,
                "agency": program.agency.name,
                "fields": fields,
                "requirements": [
                    {
                        "id": r.id,
                        "name": r.name,
                        "optional": r.optional,
                        "accept": accept_types(r.formats),
                    }
                    for r in requirements.order_by(Requirement.position, Requirement.id)
                ],
            }
        )
    return found


def _question(question: Question) -> dict[str, Any]:
    return {
        "text": str(question.text),
        "input": question.input,
        "hint": str(question.hint or ""),
        "options": [[o.value, str(o.label)] for o in question.options],
        "dont_know": question.dont_know,
        "none_label": str(question.none_label or ""),
    }


def territory() -> dict[str, Any]:
    """The state's municipalities, localities and postal codes, by key."""
    state = geo.load_state()
    postal: dict[str, list[list[str]]] = {}
    for s in PostalSettlement.select().order_by(
        PostalSettlement.postal_code, PostalSettlement.settlement_name
    ):
        postal.setdefault(s.postal_code, []).append(
            [s.settlement_type, s.settlement_name, s.municipality_id]
        )
    return {
        "municipalities": [[m.code, m.name] for m in state.municipalities],
        "localities": [
            [place.code, place.municipality_id, place.name]
            for place in Locality.select().order_by(Locality.municipality, Locality.name)
        ],
        "postal_codes": postal,
        "road_types": list(ROAD_TYPES),
    }


def curp_rules_for_device() -> dict[str, Any]:
    """What static/field/curp.js needs besides its algorithm: the lists."""
    return {
        "states": sorted(curp_rules.STATES),
        "sexes": curp_rules.SEXES,
        "inconvenient_words": sorted(curp_rules.INCONVENIENT_WORDS),
    }


def catalog_for(staff: StaffUser, today: dt.date, max_mb: int) -> dict[str, Any]:
    programs = programs_for(staff, today)
    asked = {name for program in programs for name in program["fields"]}
    questions = questionnaire.questions()
    return {
        "programs": programs,
        "questions": {name: _question(questions[name]) for name in sorted(asked & set(questions))},
        "territory": territory(),
        "id_types": [[key, str(label)] for key, label in ID_TYPE_LABELS.items()],
        "curp": curp_rules_for_device(),
        "max_upload_mb": max_mb,
        "today": today.isoformat(),
    }


def encode(catalog: dict[str, Any]) -> tuple[bytes, str]:
    """The catalog as JSON bytes and its ETag (a digest of those bytes)."""
    body = json.dumps(catalog, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
    return body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
