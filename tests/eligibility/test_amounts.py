"""Issue 18, item 3: what each program gives, per period and per year, and the totals."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from portal.catalog.amounts import payments_per_year, total, yearly_amount, yearly_text
from portal.catalog.schema import PERIOD_MONTHS, PERIODS, Benefit
from tests.catalog_builders import make_program as catalog_program
from tests.factories import make_citizen, make_program
from tests.support.html import html

DISABILITY = {
    "field": "disability",
    "op": "is_true",
    "reason": "Es para personas con discapacidad.",
}


def cash(amount, period="mensual"):
    return Benefit("cash", amount=amount, period=period)


def test_a_cash_benefit_per_year_follows_its_period():
    assert yearly_amount(cash(1500, "bimestral")) == 9000
    assert yearly_amount(cash(1000, "mensual")) == 12_000
    assert yearly_amount(cash(3000, "trimestral")) == 12_000
    assert yearly_amount(cash(4000, "semestral")) == 8000
    assert yearly_amount(cash(7000, "anual")) == 7000
    # A single payment counts once.
    assert yearly_amount(cash(5000, "unico")) == 5000


def test_in_kind_and_services_have_no_amount():
    assert yearly_amount(Benefit("in_kind", description="Útiles y uniformes")) is None
    assert yearly_amount(Benefit("service", description="Guardería")) is None


def test_the_year_is_said_only_when_it_adds_something(app):
    with app.test_request_context():
        assert yearly_text(cash(1500, "bimestral")) == "$9,000 al año"
        assert yearly_text(cash(5000, "unico")) == ""
        assert yearly_text(cash(7000, "anual")) == ""
        assert yearly_text(Benefit("in_kind", description="Despensa")) == ""


def _program(slug, benefit, group=None):
    return catalog_program(
        slug=slug,
        benefit={
            k: v
            for k, v in {
                "kind": benefit.kind,
                "amount": benefit.amount,
                "period": benefit.period,
                "description": benefit.description,
            }.items()
            if v is not None
        },
        **({"exclusion_group": group} if group else {}),
    )


benefits = st.one_of(
    st.builds(cash, st.integers(1, 50_000), st.sampled_from(sorted(PERIODS))),
    st.builds(lambda d: Benefit("in_kind", description=d), st.sampled_from(["Despensa", "Útiles"])),
)


@given(st.lists(st.tuples(benefits, st.sampled_from([None, "a", "b"])), max_size=8))
def test_the_total_is_the_sum_with_one_program_per_exclusion_group(items):
    programs = [_program(f"p{n}", b, g) for n, (b, g) in enumerate(items)]
    found = total(programs)
    yearly = [(yearly_amount(b), g) for b, g in items]
    alone = sum(a for a, g in yearly if a is not None and g is None)
    grouped = sum(
        max((a for a, g in yearly if a is not None and g == group), default=0)
        for group in ("a", "b")
    )
    assert found.yearly == alone + grouped
    assert found.other == tuple(p.slug for p, (b, _g) in zip(programs, items) if b.kind != "cash")
    if all(g is None for _b, g in items):
        assert found.yearly == sum(a for a, _g in yearly if a is not None)


@given(st.sampled_from(sorted(PERIOD_MONTHS)))
def test_payments_times_months_make_a_year(period):
    assert payments_per_year(period) * PERIOD_MONTHS[period] == 12


def test_the_results_show_each_amount_and_the_totals(login):
    make_program(name="Bimestral", benefit_amount=1500, benefit_period="bimestral")
    make_program(name="Pago único", benefit_amount=5000, benefit_period="unico")
    make_program(
        name="Despensa",
        benefit_kind="in_kind",
        benefit_amount=None,
        benefit_period="",
        benefit_description="Una despensa cada mes",
    )
    for name, amount in (("Grupo mayor", 1000), ("Grupo menor", 800)):
        make_program(
            name=name, benefit_amount=amount, benefit_period="mensual", exclusion_group="g"
        )
    make_program(
        name="Falta saber", benefit_amount=2000, benefit_period="mensual", eligibility=[DISABILITY]
    )
    page = html(login(make_citizen()).get("/cuestionario/resultados"))
    totals = page.select_one("#total").get_text(" ", strip=True)
    # 9,000 + 5,000 + 12,000 (the larger of the group); the maybe adds 24,000.
    assert "hasta $26,000 al año en dinero" in totals
    assert "1 apoyo en especie o servicio" in totals
    assert "hasta $24,000 más al año" in totals
    cards = {
        c.h3.get_text(strip=True): c.get_text(" ", strip=True) for c in page.select(".program-card")
    }
    assert "$1,500 cada dos meses ($9,000 al año)" in cards["Bimestral"]
    assert "$5,000 en un solo pago" in cards["Pago único"]
    assert "al año" not in cards["Pago único"]
    assert "Una despensa cada mes" in cards["Despensa"]
    assert "$24,000 al año" in cards["Falta saber"]


def test_no_total_when_nothing_can_be_received(login):
    make_program(name="Falta saber", eligibility=[DISABILITY])
    page = html(login(make_citizen()).get("/cuestionario/resultados"))
    assert page.select_one("#total") is None


def test_the_program_page_shows_the_amount_per_year(client, app):
    program = make_program(benefit_amount=1500, benefit_period="bimestral")
    page = html(client.get(f"/programas/{program.slug}"))
    text = page.select_one("main").get_text(" ", strip=True)
    assert "$1,500 cada dos meses" in text and "Es decir, $9,000 al año." in text
