"""Content in other languages (issue 20, item 5): program texts, questions and
reasons stored per language, entered by agency admins, shown field by field in
the person's language with Spanish where a text is missing."""

from __future__ import annotations

import pytest
import yaml

from portal.catalog import content
from portal.catalog.schema import CatalogError, parse_catalog, program_from_dict
from portal.catalog.store import load_catalog
from portal.eligibility.questions import QuestionsError, load_questions
from portal.models import Agency, AuditEvent, Notice, Program, ProgramVersion
from portal.web.extensions import db
from portal.web.i18n import LANGUAGE_COOKIE, chain
from tests.catalog_builders import AGENCY, catalog_data, demo_catalog, demo_state, program_data
from tests.factories import make_agency, make_application, make_citizen, make_staff
from tests.support.html import html

REASON = "Es para personas de 18 años o más."
ADULTS = {"field": "age", "op": "gte", "value": 18, "reason": REASON}


def _program(i18n=None, **overrides):
    data = program_data(
        ADULTS,
        description="Se deposita en una tarjeta.",
        requirements=[
            {
                "slug": "identificacion",
                "name": "Identificación oficial",
                "formats": ["pdf"],
                "hint": "INE o pasaporte.",
            },
            {"slug": "curp", "name": "CURP", "formats": ["pdf"]},
        ],
        **overrides,
    )
    if i18n is not None:
        data["i18n"] = i18n
    return data


ENGLISH = {
    "name": "Test Program",
    "summary": "Test support.",
    "requirements": {"identificacion": {"name": "Official ID"}},
    "reasons": {REASON: "It is for people aged 18 or over."},
}


def _problems(data) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        program_from_dict(data, agencies={AGENCY})
    return caught.value.messages


# The catalog format


def test_translations_are_read_and_written_back_in_the_catalog_format():
    program = program_from_dict(_program({"en": ENGLISH}), agencies={AGENCY})
    assert program.i18n["en"]["name"] == "Test Program"
    again = program_from_dict(program.to_dict(), agencies={AGENCY})
    assert again == program and again.i18n == program.i18n


def test_the_demo_catalog_survives_a_yaml_round_trip_with_its_translations():
    catalog = demo_catalog()
    text = yaml.safe_dump(catalog.to_dict(), allow_unicode=True, sort_keys=False)
    again = parse_catalog(text)
    assert [p.to_dict() for p in again.programs] == [p.to_dict() for p in catalog.programs]


def test_the_demo_catalog_is_complete_in_english():
    for program in demo_catalog().programs:
        english = program.i18n["en"]
        for key, spanish in (
            ("name", program.name),
            ("summary", program.summary),
            ("description", program.description),
            ("population", program.population),
            ("benefit", program.benefit.description),
        ):
            assert bool(english.get(key)) == bool(spanish), (program.slug, key)
        for r in program.requirements:
            document = english["requirements"][r.slug]
            assert document["name"] and bool(document.get("hint")) == bool(r.hint), r.slug
        assert set(english["reasons"]) == {c.reason for c in program.eligibility}, program.slug


def test_the_demo_questions_are_complete_in_english():
    for q in load_questions(demo_state().municipalities):
        english = q.i18n["en"]
        assert english["text"], q.field
        assert bool(english.get("hint")) == bool(q.hint), q.field
        assert bool(english.get("none_label")) == bool(q.none_label), q.field
        if q.input == "choice":
            assert set(english["options"]) == {o.value for o in q.options}, q.field


@pytest.mark.parametrize(
    ("i18n", "message"),
    [
        ({"fr": {"name": "Programme"}}, 'i18n.fr: idioma desconocido "fr"'),
        ({"es": {"name": "Otro"}}, "i18n.es: el español es el texto original"),
        ({"en": {"name": "x" * 201}}, "i18n.en.name: texto demasiado largo: 201 caracteres"),
        ({"en": {"titulo": "x"}}, 'clave desconocida "titulo"'),
        ({"en": {"name": ""}}, "i18n.en.name: debe ser un texto no vacío"),
        ({"en": {"benefit": "Money"}}, "i18n.en.benefit: no hay texto en español"),
        (
            {"en": {"requirements": {"acta": {"name": "Certificate"}}}},
            'documento desconocido "acta"',
        ),
        ({"en": {"requirements": {"curp": {"hint": "The code"}}}}, "curp.hint: no hay texto"),
        ({"en": {"reasons": {"Es para mujeres.": "For women."}}}, "razón desconocida"),
        ({"en": {"reasons": {REASON: "x" * 401}}}, "texto demasiado largo"),
        ({"en": ["name"]}, "i18n.en: debe ser un conjunto de campos"),
        ("en", "i18n: debe ser un conjunto de idiomas"),
    ],
)
def test_bad_translations_are_refused_with_where_and_why(i18n, message):
    problems = _problems(_program(i18n))
    assert any(message in p for p in problems), problems


def test_a_catalog_file_with_an_unknown_language_is_refused_whole():
    text = yaml.safe_dump(catalog_data(_program({"xx": {"name": "?"}})), allow_unicode=True)
    with pytest.raises(CatalogError, match='idioma desconocido "xx"'):
        parse_catalog(text, source="catalogo.yaml")


def test_a_questions_file_with_an_unknown_option_or_language_is_refused(tmp_path):
    path = tmp_path / "preguntas.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "questions": [
                    {
                        "field": "sex",
                        "text": "¿Sexo?",
                        "input": "choice",
                        "options": [
                            {"value": "M", "label": "Mujer"},
                            {"value": "H", "label": "Hombre"},
                            {"value": "X", "label": "X"},
                        ],
                        "i18n": {"en": {"options": {"F": "Female"}}, "fr": {"text": "Sexe ?"}},
                    }
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    with pytest.raises(QuestionsError) as caught:
        load_questions(demo_state().municipalities, path)
    text = str(caught.value)
    assert 'opción desconocida "F"' in text and "i18n.fr: idioma desconocido" in text


# Falling back, field by field


def test_each_text_falls_back_to_spanish_on_its_own():
    program = program_from_dict(_program({"en": ENGLISH}), agencies={AGENCY})
    shown = content.localize(program, "en")
    assert (shown.name, shown.name.lang) == ("Test Program", "en")
    assert (shown.description, shown.description.lang) == ("Se deposita en una tarjeta.", "es")
    identification, curp = shown.requirements
    assert (identification.name.lang, identification.hint.lang) == ("en", "es")
    assert (curp.name, curp.name.lang) == ("CURP", "es")
    assert [(c.reason, c.reason.lang) for c in shown.eligibility] == [
        ("It is for people aged 18 or over.", "en")
    ]
    # Rules, amounts and dates do not change with the language.
    assert shown.eligibility[0].value == 18 and shown.benefit.amount == program.benefit.amount


def test_otomi_falls_back_to_spanish_not_to_english_nor_another_variant():
    assert chain("otq") == ("otq", "es") and chain("ote") == ("ote", "es")
    program = program_from_dict(
        _program({"en": ENGLISH, "ote": {"name": "Nombre hñähñu de prueba"}}), agencies={AGENCY}
    )
    shown = content.localize(program, "otq")
    assert (shown.name, shown.name.lang) == ("Programa de Prueba", "es")
    assert content.localize(program, "ote").name.lang == "ote"


# Pages in the person's language


@pytest.fixture
def demo(app):
    load_catalog(demo_catalog())


def _in(client, lang):
    client.set_cookie(LANGUAGE_COOKIE, lang)
    return client


def test_english_catalog_pages_show_english_content(client, demo):
    _in(client, "en")
    page = html(client.get("/programas"))
    assert page.html["lang"] == "en"
    titles = [a.get_text(strip=True) for a in page.select(".program-card h3 a")]
    assert "Contigo Card" in titles and "Tarjeta Contigo" not in titles
    detail = html(client.get("/programas/tarjeta-contigo"))
    text = detail.get_text(" ", strip=True)
    assert "Cash support every two months for low-income households." in text
    assert "It is for people aged 18 to 64." in text
    assert "Proof of address" in text and "Comprobante de domicilio" not in text
    # Every program text is English: none needs to say it is Spanish (the legal
    # legend says so itself while the state has not translated it).
    marked = [e for e in detail.select("main [lang]") if "legal-legend" not in e.get("class", [])]
    assert not marked, marked


def test_a_missing_english_text_shows_the_spanish_marked_as_spanish(client, app):
    make_agency(slug=AGENCY)
    data = _program({"en": {"name": "Test Program", "summary": "Test support."}})
    load_catalog(parse_catalog(yaml.safe_dump(catalog_data(data), allow_unicode=True)))
    detail = html(_in(client, "en").get("/programas/programa-prueba"))
    assert detail.find("h1").get_text(strip=True) == "Test Program" and not detail.h1.get("lang")
    description = detail.find("p", string="Se deposita en una tarjeta.")
    assert description["lang"] == "es-MX"
    reason = detail.find("li", string=REASON)
    assert reason["lang"] == "es-MX"


def test_english_search_finds_english_and_spanish_names(client, demo):
    _in(client, "en")
    for query in ("contigo card", "tarjeta contigo"):
        page = html(client.get(f"/programas?q={query}"))
        assert [a.get_text(strip=True) for a in page.select(".program-card h3 a")] == [
            "Contigo Card"
        ]


def test_otomi_is_offered_only_once_a_program_has_its_texts(client, demo):
    links = [a["hreflang"] for a in html(client.get("/programas")).select("footer a[hreflang]")]
    assert links == ["en"]
    program = demo_catalog().program("adultos-mayores")
    data = program.to_dict()
    # A text entered by a speaker (here a placeholder: tests never invent Otomí).
    data["i18n"]["otq"] = {"name": "Nombre en hñöñho", "summary": "Resumen en hñöñho"}
    load_catalog(parse_catalog(yaml.safe_dump({**demo_catalog().to_dict(), "programs": [data]})))
    links = [a["hreflang"] for a in html(client.get("/programas")).select("footer a[hreflang]")]
    assert links == ["en", "otq"]
    page = html(_in(client, "otq").get("/programas/adultos-mayores"))
    # No interface strings in Otomí yet: the interface is Spanish, the texts say their language.
    assert page.html["lang"] == "es-MX"
    assert page.h1.get_text(strip=True) == "Nombre en hñöñho" and page.h1["lang"] == "otq"
    assert page.find("p", class_="lead")["lang"] == "otq"
    population = page.find("p", string=program.population)
    assert population is not None and not population.get("lang")


def _queries_of(client, url) -> list[str]:
    seen: list[str] = []
    db.obj.query_hooks.append(lambda event: seen.append(event.sql))
    try:
        assert client.get(url).status_code == 200
    finally:
        db.obj.query_hooks.pop()
    return seen


def _more_programs(n: int) -> None:
    base = demo_catalog().program("adultos-mayores").to_dict()
    programs = []
    for i in range(n):
        data = {**base, "slug": f"copia-{i}", "name": f"Copia {i}"}
        data["i18n"] = {"en": {**base["i18n"]["en"], "name": f"Copy {i}"}}
        programs.append(data)
    load_catalog(parse_catalog(yaml.safe_dump({**demo_catalog().to_dict(), "programs": programs})))


@pytest.mark.parametrize("url", ["/programas", "/programas/tarjeta-contigo"])
def test_english_pages_issue_no_query_per_program(client, demo, url):
    _in(client, "en")
    client.get(url)  # the first request compiles and localizes the catalog
    few = _queries_of(client, url)
    _more_programs(30)
    client.get(url)
    many = _queries_of(client, url)
    assert len(many) == len(few), many


def test_the_questionnaire_asks_and_explains_in_english(client, demo):
    _in(client, "en")
    question = html(client.get("/cuestionario/pregunta/birth_date"))
    assert question.h1.get_text(strip=True) == "What is your date of birth?"
    client.post("/cuestionario/pregunta/birth_date", data={"answer": "1950-01-01"})
    client.post("/cuestionario/pregunta/municipality", data={"answer": "22014"})
    results = html(client.get("/cuestionario/resultados")).get_text(" ", strip=True)
    assert "Support for Older Adults" in results
    assert "It is for people aged 18 to 64." in results  # Contigo Card: too old
    assert "Es para personas de 18 a 64 años." not in results


# The editor


def _translation_form(client, slug, lang="en"):
    page = html(client.get(f"/oficina/programas/{slug}/idioma/{lang}"))
    form = page.find("input", attrs={"name": "version"}).find_parent("form")
    data = {}
    for element in form.find_all(["input", "textarea"]):
        name = element.get("name")
        if name:
            data[name] = (
                element.text.strip() if element.name == "textarea" else element.get("value", "")
            )
    return page, data


@pytest.fixture
def admin(login, demo):
    agency = Agency.get(Agency.slug == "sedesoq")
    return login(make_staff("admin_dependencia", agency))


def _publish_draft(program, draft):
    """Send ``draft`` to review and publish it, as its agency's supervisor would."""
    from portal.backoffice.audit import Actor
    from portal.catalog import versions

    admin = Actor.staff(make_staff("admin_dependencia", program.agency))
    versions.submit(draft, admin)
    reviewer = Actor.staff(make_staff("supervisor", program.agency))
    return versions.publish(ProgramVersion.get_by_id(draft.id), reviewer)


def test_an_agency_admin_enters_a_language_as_a_draft_published_after_review(admin):
    program = Program.get(Program.slug == "adultos-mayores")
    page, data = _translation_form(admin, program.slug, "ote")
    name = page.find("input", attrs={"name": "name"})
    assert name["lang"] == "ote" and "Apoyo a Personas Adultas Mayores" in page.get_text()
    data.update(name="Nombre escrito por una persona hñähñu", summary="Resumen hñähñu")
    response = admin.post(f"/oficina/programas/{program.slug}/idioma/ote", data=data)
    assert response.status_code == 303
    draft = ProgramVersion.get(
        (ProgramVersion.program == program.id) & (ProgramVersion.status == "borrador")
    )
    assert response.headers["Location"].endswith(
        f"/oficina/programas/{program.slug}/versiones/{draft.version}"
    )
    # Nothing is published before the review: the program and its catalog are as they were.
    stored = Program.get_by_id(program.id)
    assert stored.version == program.version and "ote" not in stored.i18n
    assert draft.snapshot["i18n"]["ote"] == {
        "name": "Nombre escrito por una persona hñähñu",
        "summary": "Resumen hñähñu",
    }
    entry = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
    assert entry.action == "programa.borrador" and entry.details["version"] == draft.version
    assert _publish_draft(program, draft) == draft.version
    stored = Program.get_by_id(program.id)
    assert stored.i18n["ote"]["summary"] == "Resumen hñähñu"
    assert stored.i18n["en"]["name"] == "Support for Older Adults"  # the others stay
    published = AuditEvent.get(AuditEvent.action == "editar_programa")
    assert published.details["campos"] == ["i18n.ote"]


def test_a_translation_goes_on_from_the_open_draft(admin):
    from tests.catalog.test_program_editor import press, read_form

    program = Program.get(Program.slug == "adultos-mayores")
    url = f"/oficina/programas/{program.slug}/editor"
    assert press(admin, url, read_form(admin.get(url)), name="Nombre nuevo").status_code == 303
    page, data = _translation_form(admin, program.slug, "ote")
    assert page.find(id="borrador-abierto") is not None
    data.update(summary="Resumen hñähñu")
    assert admin.post(f"/oficina/programas/{program.slug}/idioma/ote", data=data).status_code == 303
    newest = ProgramVersion.select().order_by(ProgramVersion.version.desc()).first()
    assert newest.snapshot["name"] == "Nombre nuevo"  # the draft's edit went on
    assert newest.snapshot["i18n"]["ote"]["summary"] == "Resumen hñähñu"
    assert Program.get_by_id(program.id).name != "Nombre nuevo"


def test_emptying_every_field_removes_the_language(admin):
    program = Program.get(Program.slug == "adultos-mayores")
    _page, data = _translation_form(admin, program.slug)
    blank = {k: ("" if k != "version" else v) for k, v in data.items()}
    assert admin.post(f"/oficina/programas/{program.slug}/idioma/en", data=blank).status_code == 303
    draft = ProgramVersion.get(ProgramVersion.status == "borrador")
    assert "en" not in draft.snapshot.get("i18n", {})
    assert "en" in Program.get_by_id(program.id).i18n  # until the review publishes it
    _publish_draft(program, draft)
    assert "en" not in Program.get_by_id(program.id).i18n


@pytest.mark.parametrize("lang", ["fr", "es", "xx-evil"])
def test_an_unknown_language_code_is_not_found_and_writes_nothing(admin, lang):
    program = Program.get(Program.slug == "adultos-mayores")
    url = f"/oficina/programas/{program.slug}/idioma/{lang}"
    assert admin.get(url).status_code == 404
    response = admin.post(url, data={"version": str(program.version), "name": "x"})
    assert response.status_code == 404
    assert Program.get_by_id(program.id).version == program.version


def test_a_too_long_text_is_refused_in_spanish_and_writes_nothing(admin):
    program = Program.get(Program.slug == "adultos-mayores")
    _page, data = _translation_form(admin, program.slug)
    data["name"] = "x" * 201
    response = admin.post(f"/oficina/programas/{program.slug}/idioma/en", data=data)
    assert response.status_code == 422
    assert "Escriba a lo más 200 caracteres." in html(response).get_text()
    stored = Program.get_by_id(program.id)
    assert stored.version == program.version and stored.i18n == program.i18n
    assert not ProgramVersion.select().where(ProgramVersion.status == "borrador").exists()


def test_a_translation_form_older_than_the_published_version_is_a_conflict(admin):
    program = Program.get(Program.slug == "adultos-mayores")
    _page, data = _translation_form(admin, program.slug)
    assert admin.post(f"/oficina/programas/{program.slug}/idioma/en", data=data).status_code == 303
    _publish_draft(program, ProgramVersion.get(ProgramVersion.status == "borrador"))
    assert admin.post(f"/oficina/programas/{program.slug}/idioma/en", data=data).status_code == 409


def test_the_translation_editor_needs_the_csrf_token(app, admin):
    app.config["WTF_CSRF_ENABLED"] = True
    program = Program.get(Program.slug == "adultos-mayores")
    response = admin.post(
        f"/oficina/programas/{program.slug}/idioma/en",
        data={"version": str(program.version), "name": "Hijacked"},
    )
    assert response.status_code in (400, 422)
    assert Program.get_by_id(program.id).i18n["en"]["name"] == "Support for Older Adults"


@pytest.mark.parametrize("role", ["revisor", "entrega", "supervisor"])
def test_only_program_admins_enter_translations(login, demo, role):
    agency = Agency.get(Agency.slug == "sedesoq")
    client = login(make_staff(role, agency))
    assert client.get("/oficina/programas/adultos-mayores/idioma/en").status_code == 403


def test_an_admin_of_another_agency_cannot_translate_the_program(login, demo):
    client = login(make_staff("admin_dependencia", make_agency(slug="otra")))
    program = Program.get(Program.slug == "adultos-mayores")
    url = f"/oficina/programas/{program.slug}/idioma/en"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"version": "1", "name": "x"}).status_code == 404
    assert Program.get_by_id(program.id).version == program.version


def test_editing_the_spanish_keeps_only_translations_of_unchanged_texts(admin):
    from tests.catalog.test_program_editor import press, read_form

    program = Program.get(Program.slug == "adultos-mayores")
    url = f"/oficina/programas/{program.slug}/editor"
    data = read_form(admin.get(url))
    reasons = [data[f"conditions-{n}-reason"].strip() for n in range(len(program.eligibility))]
    data.setlist("summary", ["Apoyo en dinero cada dos meses para personas de 70 años o más."])
    data.setlist("conditions-0-reason", ["Una razón escrita de nuevo."])
    assert press(admin, url, data).status_code == 303
    english = ProgramVersion.get(ProgramVersion.status == "borrador").snapshot["i18n"]["en"]
    assert english["name"] == "Support for Older Adults"
    assert english["population"] == "People aged 65 or over who live in Querétaro."
    # The reworded summary's and reason's translations went with them: people
    # read the new Spanish until someone translates it.
    assert "summary" not in english
    assert reasons[0] not in english["reasons"]
    assert set(english["reasons"]) == set(reasons[1:])
    assert english["requirements"]["identificacion"]["name"] == "Valid official ID"


def test_the_program_page_links_each_language_editor(admin):
    page = html(admin.get("/oficina/programas/adultos-mayores/editor"))
    hrefs = {a["href"] for a in page.select("main a[href*='/idioma/']")}
    assert hrefs == {f"/oficina/programas/adultos-mayores/idioma/{c}" for c in ("en", "otq", "ote")}


# One Spanish word, two meanings


def test_estado_is_status_or_state_by_context(app):
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        from portal.messages import translations

        t = translations()
        assert t.upgettext("status", "Estado") == "Status"
        assert t.upgettext("state of Mexico", "Estado") == "State"


# A person's own pages


def test_my_applications_name_the_program_in_english(login, demo):
    citizen = make_citizen()
    application = make_application(citizen, Program.get(Program.slug == "adultos-mayores"))
    client = _in(login(citizen), "en")
    listing = html(client.get("/mis-solicitudes")).get_text(" ", strip=True)
    assert "Support for Older Adults" in listing and "Apoyo a Personas Adultas" not in listing
    detail = html(client.get(f"/mis-solicitudes/{application.folio}"))
    assert detail.h1.get_text(strip=True) == "Support for Older Adults"


def test_spanish_notices_are_marked_spanish_on_an_english_page(login, demo):
    citizen = make_citizen()
    Notice.create(citizen=citizen, title="Solicitud QRO-1: enviada", body="Recibimos su solicitud.")
    page = html(_in(login(citizen), "en").get("/avisos"))
    body = page.find("p", string="Recibimos su solicitud.")
    assert body["lang"] == "es-MX"
    assert page.find(string="Solicitud QRO-1: enviada").parent["lang"] == "es-MX"
    spanish = html(_in(login(citizen), "es").get("/avisos"))
    assert not spanish.find("p", string="Recibimos su solicitud.").get("lang")
