"""Demo data: staff for every role, the digital ID's personas, a synthetic population.

Used by ``flask --app wsgi demo-data`` and by benchmarks. Everything is
idempotent (staff and personas are found by e-mail and CURP) or deterministic
(the population is drawn from a seed), and fast enough for a million people:
rows go in with ``insert_many`` in large chunks inside one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from peewee import chunked
from werkzeug.security import generate_password_hash

from . import folio as folios
from .db import write
from .models import (
    Agency,
    Application,
    ApplicationEvent,
    Call,
    Citizen,
    Enrollment,
    Municipality,
    Program,
    StaffUser,
    utcnow,
)
from .synthetic import generate_citizens

DATA = Path(__file__).resolve().parent / "data"
PERSONAS_FILE = Path(__file__).resolve().parent.parent / "idp" / "personas.json"
DEMO_PASSWORD = "demo-ventanilla-2026"  # noqa: S105 - demo accounts only, documented in README
STAFF_DOMAIN = "demo.queretaro.gob.mx"
AGENCY_ROLES = ("revisor", "entrega", "admin_dependencia")
CHUNK = 2000

# Share of synthetic people with an application, and how far each got.
APPLICANT_SHARE = 0.4
STATUS_WEIGHTS = {
    "enviada": 40,
    "en_revision": 15,
    "requiere_correccion": 5,
    "aprobada": 20,
    "rechazada": 10,
    "entregada": 10,
}
PATHS = {
    "enviada": ("enviada",),
    "en_revision": ("enviada", "en_revision"),
    "requiere_correccion": ("enviada", "en_revision", "requiere_correccion"),
    "aprobada": ("enviada", "en_revision", "aprobada"),
    "rechazada": ("enviada", "en_revision", "rechazada"),
    "entregada": ("enviada", "en_revision", "aprobada", "entregada"),
}


def load_municipalities(path: Path = DATA / "municipios.yaml") -> int:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    state = data["state"]["code"]
    rows = [
        {"code": m["code"], "name": m["name"], "state_code": state} for m in data["municipalities"]
    ]
    with write():
        Municipality.insert_many(rows).on_conflict(
            conflict_target=[Municipality.code], preserve=[Municipality.name]
        ).execute()
    return len(rows)


@dataclass(frozen=True)
class StaffAccount:
    email: str
    role: str
    agency: str


def create_staff(password: str = DEMO_PASSWORD) -> list[StaffAccount]:
    """A reviewer, a delivery operator and an admin per agency, plus a state admin."""
    wanted = [StaffAccount(f"estatal@{STAFF_DOMAIN}", "admin_estatal", "")]
    for agency in Agency.select().order_by(Agency.slug):
        wanted += [
            StaffAccount(f"{role}.{agency.slug}@{STAFF_DOMAIN}", role, agency.slug)
            for role in AGENCY_ROLES
        ]
    password_hash = generate_password_hash(password)
    with write():
        for account in wanted:
            agency = Agency.get(Agency.slug == account.agency) if account.agency else None
            StaffUser.get_or_create(
                email=account.email,
                defaults={
                    "name": f"{account.role.replace('_', ' ').capitalize()} {account.agency or 'estatal'}",
                    "password_hash": password_hash,
                    "role": account.role,
                    "agency": agency,
                },
            )
    return wanted


def load_personas(path: Path = PERSONAS_FILE) -> list[dict]:
    """The provider's ordinary personas (not the fault or mismatch ones)."""
    personas = json.loads(path.read_text(encoding="utf-8"))
    return [p for p in personas if not p["login"].startswith(("fault-", "curp-"))]


def create_personas(path: Path = PERSONAS_FILE) -> int:
    """Citizen records for the personas, as a first digital-ID sign-in would make."""
    created = 0
    with write():
        for persona in load_personas(path):
            claims = persona["claims"]
            _, was_created = Citizen.get_or_create(
                curp=claims["curp"],
                defaults={
                    "given_names": claims["given_name"],
                    "first_surname": claims["family_name"],
                    "second_surname": claims.get("second_family_name", ""),
                    "birth_date": dt.date.fromisoformat(claims["birthdate"]),
                    "sex": claims["sex"],
                    "email": claims.get("email", ""),
                    "origin": "digital_id",
                },
            )
            created += was_created
    return created


def _unique_folios(rng: random.Random, prefix: str, taken: set[str]) -> Iterator[str]:
    while True:
        folio = folios.new_folio(prefix, 2026, rng=rng)
        if folio not in taken:
            taken.add(folio)
            yield folio


def generate_population(n: int, seed: int = 2026, prefix: str = "QRO") -> dict[str, int]:
    """n synthetic citizens; some apply to a program and are at some step of it."""
    rng = random.Random(seed)
    load_municipalities()
    programs = list(Program.select().where(Program.active).order_by(Program.id))
    calls = {c.program_id: c.id for c in Call.select().order_by(Call.opens.desc())}
    programs = [p for p in programs if p.id in calls]
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    taken = {row[0] for row in Application.select(Application.folio).tuples().iterator()}
    folio_source = _unique_folios(rng, prefix, taken)
    existing = {row[0] for row in Citizen.select(Citizen.curp).tuples().iterator()}
    counts = {"citizens": 0, "applications": 0, "enrollments": 0}
    now = utcnow()
    start = dt.datetime(2026, 1, 15, 9, 0)
    with write():
        for batch in chunked(generate_citizens(n, seed=seed), CHUNK):
            rows = [
                {
                    "curp": person["curp"],
                    "given_names": person["first_name"],
                    "first_surname": person["last_name1"],
                    "second_surname": person["last_name2"],
                    "birth_date": person["birth_date"],
                    "sex": person["sex"],
                    "email": person["email"] or "",
                    "phone": person["phone"] or "",
                    "municipality": person["municipality"],
                    "origin": "import",
                    "created_at": now,
                    "updated_at": now,
                }
                for person in batch
                if person["curp"] not in existing
            ]
            if not rows:
                continue
            Citizen.insert_many(rows).execute()
            counts["citizens"] += len(rows)
            if not programs:
                continue
            ids = dict(
                Citizen.select(Citizen.curp, Citizen.id)
                .where(Citizen.curp.in_([r["curp"] for r in rows]))
                .tuples()
            )
            applications, plans = [], []
            for row in rows:
                if rng.random() >= APPLICANT_SHARE:
                    continue
                program = rng.choice(programs)
                status = rng.choices(statuses, weights)[0]
                submitted = start + dt.timedelta(minutes=rng.randrange(0, 300 * 24 * 60))
                folio = next(folio_source)
                applications.append(
                    {
                        "folio": folio,
                        "citizen": ids[row["curp"]],
                        "program": program.id,
                        "call": calls[program.id],
                        "program_version": program.version,
                        "status": status,
                        "municipality": row["municipality"],
                        "created_at": submitted,
                        "updated_at": submitted,
                        "submitted_at": submitted,
                        "decided_at": submitted + dt.timedelta(days=9)
                        if status in ("aprobada", "rechazada", "entregada")
                        else None,
                        "decision_reason": "No cumple con la edad del programa."
                        if status == "rechazada"
                        else "",
                    }
                )
                plans.append((folio, program, status, submitted))
            if not applications:
                continue
            Application.insert_many(applications).execute()
            app_ids = dict(
                Application.select(Application.folio, Application.id)
                .where(Application.folio.in_([a["folio"] for a in applications]))
                .tuples()
            )
            events, enrollments = [], []
            for (folio, program, status, submitted), application in zip(
                plans, applications, strict=True
            ):
                previous = "borrador"
                for step, to_status in enumerate(PATHS[status]):
                    events.append(
                        {
                            "application": app_ids[folio],
                            "from_status": previous,
                            "to_status": to_status,
                            "actor_kind": "ciudadano" if step == 0 else "personal",
                            "reason": "",
                            "created_at": submitted + dt.timedelta(days=3 * step),
                        }
                    )
                    previous = to_status
                if status in ("aprobada", "entregada"):
                    enrollments.append(
                        {
                            "citizen": application["citizen"],
                            "program": program.id,
                            "exclusion_key": program.exclusion_key,
                            "application": app_ids[folio],
                            "source": "solicitud",
                            "active": True,
                            "benefit_amount": program.benefit_amount,
                            "started_on": (submitted + dt.timedelta(days=9)).date(),
                            "created_at": now,
                        }
                    )
            for part in chunked(events, CHUNK):
                ApplicationEvent.insert_many(part).execute()
            if enrollments:
                Enrollment.insert_many(enrollments).execute()
            counts["applications"] += len(applications)
            counts["enrollments"] += len(enrollments)
    return counts
