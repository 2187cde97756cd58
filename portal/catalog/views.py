"""The public program catalog: ``/programas`` and ``/programas/<slug>``.

Anonymous and cacheable: the pages read the compiled catalog that
:func:`portal.catalog.store.engine_catalog` keeps in memory, in the person's
language (:mod:`portal.catalog.content`, built once per language from it), plus
one query for agency names; a program's page reads its call's places left from the call's
counter (``Call.places_taken``, kept by the applications workflow), so no query
on these pages grows with the registry or the applications.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from flask import Blueprint, abort, current_app, request, url_for

from portal.catalog import amounts, content
from portal.catalog.population import GROUPS, groups_of
from portal.catalog.schema import BENEFIT_KINDS, PERIODS, Benefit, Program
from portal.eligibility.questions import MONTHS
from portal.models import Agency, Call
from portal.models import Program as ProgramRow
from portal.web.htmx import render
from portal.web.security import public_cache
from portal.web.tables import tuples
from portal.web.values import money

bp = Blueprint("catalog", __name__, url_prefix="/programas")

APPLY_ENDPOINT = "applications.apply"


def _fold(text: str) -> str:
    """Lower case without accents, so "guarderia" finds "Guardería"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def long_date(value: date) -> str:
    return f"{value.day} de {MONTHS[value.month - 1]} de {value.year}"


def benefit_text(benefit: Benefit) -> str:
    """What a person gets, in one phrase: "$1,500 cada dos meses"."""
    if benefit.kind == "cash" and benefit.amount is not None:
        period = PERIODS.get(benefit.period or "", "")
        return f"{money(benefit.amount)} {period}".strip()
    return benefit.description or BENEFIT_KINDS[benefit.kind]


def apply_url(slug: str) -> str | None:
    """The application form's address, once the applications area is installed."""
    if APPLY_ENDPOINT not in current_app.view_functions:
        return None
    return url_for(APPLY_ENDPOINT, slug=slug)


def _agency_names() -> dict[str, str]:
    return dict(tuples(Agency.select(Agency.slug, Agency.name)))


def places_left(slug: str, opens: date) -> int | None:
    """Places left in the program's call that opens on ``opens``, from the call's
    counter (None: no quota). One look-up by unique keys (program slug, call
    opening date), whatever the number of applications."""
    row = (
        Call.select(Call.quota, Call.places_taken)
        .join(ProgramRow)
        .where((ProgramRow.slug == slug) & (Call.opens == opens))
        .first()
    )
    return None if row is None else row.places_left()


@bp.get("")
@public_cache(300)
def index():
    today = date.today()
    programs = content.programs()
    spanish = content.programs("es")
    agencies = _agency_names()
    query = request.args.get("q", "").strip()[:100]
    agency = request.args.get("dependencia", "")
    group = request.args.get("grupo", "")
    open_only = request.args.get("abiertas") == "1"

    words = _fold(query).split()
    shown = []
    # A person reading English may still type the Spanish name they heard.
    for program, original in zip(programs, spanish, strict=True):
        texts = {program.name, program.summary, program.population}
        texts |= {original.name, original.summary, original.population}
        text = _fold(" ".join((*texts, agencies.get(program.agency, ""))))
        if words and not all(word in text for word in words):
            continue
        if agency and program.agency != agency:
            continue
        if group and group not in groups_of(program):
            continue
        call, is_open = program.current_call(today)
        if open_only and not is_open:
            continue
        shown.append((program, call, is_open))
    offered = {p.agency for p in programs}
    return render(
        "catalog/index.html",
        block="results",
        shown=shown,
        total=len(programs),
        query=query,
        agency=agency,
        group=group,
        open_only=open_only,
        agencies=sorted(
            ((slug, name) for slug, name in agencies.items() if slug in offered), key=lambda a: a[1]
        ),
        agency_names=agencies,
        groups=GROUPS,
    )


@bp.get("/<slug>")
@public_cache(300)
def detail(slug: str):
    today = date.today()
    program: Program | None = content.program(slug)
    if program is None:
        abort(404)
    call, is_open = program.current_call(today)
    left = None
    if is_open and call is not None and call.quota is not None:
        left = places_left(slug, call.opens)
    partners = [
        p
        for p in content.programs()
        if program.exclusion_group
        and p.exclusion_group == program.exclusion_group
        and p.slug != slug
    ]
    reasons = list(dict.fromkeys(c.reason for c in program.eligibility))
    return render(
        "catalog/detail.html",
        program=program,
        agency_name=Agency.select(Agency.name).where(Agency.slug == program.agency).scalar()
        or program.agency,
        call=call,
        call_open=is_open,
        places_left=left,
        later_calls=[c for c in program.calls if c.opens > today and c is not call],
        partners=partners,
        per_year=amounts.yearly_text(program.benefit),
        reasons=reasons,
        groups=[GROUPS[g] for g in groups_of(program)],
    )
