"""The layout's parts drawn once (portal/web/drawings.py) still show each page
and each person what is theirs: the current page in the menu, the page's
own address in the language switch, each role's menu, each language's
words, and a page with a query is never kept."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from portal.web import drawings
from portal.web.i18n import LANGUAGE_COOKIE
from tests.factories import make_agency, make_staff
from tests.support.html import html


def _current(response) -> list[str]:
    return [a["href"] for a in html(response).select(".main-nav a[aria-current=page]")]


def _switch_targets(response) -> list[str]:
    links = html(response).select("footer .languages a")
    return [parse_qs(urlparse(a["href"]).query)["next"][0] for a in links]


def test_the_menu_marks_the_page_it_is_drawn_on(client):
    client.get("/programas")
    assert _current(client.get("/programas")) == ["/programas"]
    assert _current(client.get("/cuestionario")) == ["/cuestionario"]
    assert _current(client.get("/programas")) == ["/programas"]
    assert _current(client.get("/")) == []


def test_the_language_switch_returns_to_the_page_it_is_drawn_on(client):
    assert _switch_targets(client.get("/programas")) == ["/programas"]
    assert _switch_targets(client.get("/cuestionario")) == ["/cuestionario"]
    assert _switch_targets(client.get("/programas?q=abc")) == ["/programas?q=abc"]


def test_a_page_with_a_query_is_drawn_each_time_and_never_kept(app, client):
    client.get("/programas?q=MAGA800101HQTRRN09")
    kept = app.extensions.get("vu_kept_drawings", {})
    assert kept, "the menu is kept"
    assert not [key for key in kept if any("?" in str(part) for part in key)]


def test_each_role_gets_its_own_menu(login):
    agency = make_agency()
    reviewer_links = [
        a["href"]
        for a in html(login(make_staff("revisor", agency)).get("/oficina")).select(".main-nav a")
    ]
    admin_links = [
        a["href"]
        for a in html(login(make_staff("admin_estatal")).get("/oficina")).select(".main-nav a")
    ]
    assert "/oficina" in reviewer_links and "/oficina" in admin_links
    assert set(admin_links) != set(reviewer_links)
    assert "/oficina/ventanilla" in reviewer_links


def test_each_language_gets_its_own_words(client):
    spanish = html(client.get("/programas")).select_one(".main-nav").text
    client.set_cookie(LANGUAGE_COOKIE, "en")
    english = html(client.get("/programas")).select_one(".main-nav").text
    assert "Programas" in spanish
    assert "Programmes" in english and "Programas" not in english


def test_the_session_dialog_is_drawn_for_signed_in_people_only(client, login):
    assert html(client.get("/programas")).select_one("#session-warning") is None
    staff = login(make_staff("revisor", make_agency()))
    dialog = html(staff.get("/oficina")).select_one("#session-warning")
    assert dialog is not None and dialog["data-signed-in"] == "true"


def test_a_kept_drawing_is_reused(app, client):
    client.get("/programas")
    before = dict(app.extensions["vu_kept_drawings"])
    client.get("/programas")
    after = app.extensions["vu_kept_drawings"]
    assert before.keys() == after.keys()
    assert all(after[key] is before[key] for key in before)
    assert drawings.KEPT_DRAWINGS >= len(after)
