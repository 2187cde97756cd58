"""The reviewer's queue and the case page do the same work whatever the
number of applications: the same queries, reading about the same number of
rows, on indexes (migrations/0014_queue.py). Nothing here is timed: queries
are counted with a trace hook, and on SQLite the rows read are measured by
the virtual machine's steps and checked in EXPLAIN QUERY PLAN."""

from __future__ import annotations

import datetime as dt
import logging
import re
from contextlib import contextmanager

import pytest
from peewee import SqliteDatabase

from portal.backoffice.views import review
from portal.models import Application, AuditEvent, utcnow
from portal.web.extensions import db
from tests.factories import make_municipality, make_program, make_staff
from tests.queue_builders import MUNICIPALITIES, bulk_applications, bulk_citizens
from tests.support.html import html


class _Queries(logging.Handler):
    """Every statement peewee sends, as (sql, params)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.statements: list[tuple[str, tuple]] = []

    def emit(self, record):
        if isinstance(record.msg, tuple):
            self.statements.append(record.msg)


@contextmanager
def traced():
    """The statements run inside, and (SQLite) the VM steps they took."""
    handler = _Queries()
    logger = logging.getLogger("peewee")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    steps = [0]

    def count():
        steps[0] += 1
        return 0

    sqlite = isinstance(db.obj, SqliteDatabase)
    hooks = db.obj._add_conn_hooks if sqlite else None

    def with_progress(conn):
        hooks(conn)
        conn.set_progress_handler(count, 100)

    if sqlite:
        # Requests may open their own connection, or keep one: count on both.
        db.obj._add_conn_hooks = with_progress
        if not db.is_closed():
            db.connection().set_progress_handler(count, 100)
    try:
        yield handler.statements, steps
    finally:
        if sqlite:
            del db.obj._add_conn_hooks
            if not db.is_closed():
                db.connection().set_progress_handler(None, 0)
        logger.removeHandler(handler)
        logger.setLevel(level)


def _selects(statements):
    return [(sql, params) for sql, params in statements if sql.lstrip().startswith("SELECT")]


def _plan(sql, params, *, seqscan=True):
    """The plan of a statement. On PostgreSQL, ``seqscan=False`` asks for the
    plan it would use on a large table: the test tables are small enough that
    it would rather read them whole."""
    if isinstance(db.obj, SqliteDatabase):
        return " / ".join(row[3] for row in db.execute_sql("EXPLAIN QUERY PLAN " + sql, params))
    with db.atomic():
        if not seqscan:
            db.execute_sql("SET LOCAL enable_seqscan = off")
        return "\n".join(row[0] for row in db.execute_sql("EXPLAIN " + sql, params))


def _grow(programs, people, start):
    citizens = bulk_citizens(people, start=start)
    return bulk_applications(citizens, programs, start=start * len(programs))


@pytest.fixture(autouse=True)
def small_count_limit(monkeypatch):
    """Counts stop at 100 here (1,000 in production), so the small databases
    of these tests are already past it and only the growth is compared."""
    monkeypatch.setattr(review, "COUNT_LIMIT", 100)


@pytest.fixture
def crowded(agency, program):
    """The reviewer's agency with two programs, another agency with one."""
    second = make_program(agency)
    foreign = make_program()
    for code in MUNICIPALITIES:
        make_municipality(code, f"Municipio {code}")
    return [program, second, foreign]


def _visit(client, path):
    with traced() as (statements, steps):
        response = client.get(path)
    assert response.status_code == 200
    return response, _selects(statements), steps[0]


PAGES = [
    "/oficina",
    "/oficina?status=aprobada",
    "/oficina?municipality=22006",
    "/oficina?since=2000-01-01",
    "/oficina?flagged=",
]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("role", ["revisor", "admin_estatal"])
def test_queue_queries_do_not_grow_with_the_applications(login, agency, crowded, path, role):
    reviewer = make_staff(role, None if role == "admin_estatal" else agency)
    client = login(reviewer)
    _grow(crowded, 800, 0)
    client.get(path)  # warm caches (catalog, translations)
    small, small_selects, small_steps = _visit(client, path)
    _grow(crowded, 4000, 800)  # five times as many
    large, large_selects, large_steps = _visit(client, path)
    assert len(large_selects) == len(small_selects)
    rows = html(large).select("tbody tr")
    assert len(rows) == 25
    if isinstance(db.obj, SqliteDatabase):
        # OFFSET and whole counts would take five times the steps; a page by
        # position takes about the same (the counts stop at COUNT_LIMIT + 1).
        assert large_steps < small_steps * 1.5, (small_steps, large_steps)


def test_a_deep_page_reads_what_the_first_page_reads(login, agency, crowded, reviewer):
    _grow(crowded, 3000, 0)
    client = login(reviewer)
    client.get("/oficina")  # the footer's language switch compiles the catalog once
    first, first_selects, first_steps = _visit(client, "/oficina")
    response = first
    for _ in range(40):  # a thousand rows in
        link = html(response).select_one("nav.pagination a[rel=next]")["href"]
        response = client.get(link)
    deep, deep_selects, deep_steps = _visit(client, link)
    # One query more: where the row the address names stands in the queue.
    assert len(deep_selects) == len(first_selects) + 1
    assert html(deep).select("tbody a.folio")[0].text != html(first).select("tbody a.folio")[0].text
    if isinstance(db.obj, SqliteDatabase):
        assert deep_steps < first_steps * 1.5, (first_steps, deep_steps)


@pytest.mark.parametrize("path", PAGES + ["/oficina?program={slug}&municipality=22011"])
def test_queue_queries_read_indexes_and_never_scan_the_applications(
    login, agency, crowded, reviewer, path
):
    _grow(crowded, 300, 0)
    db.execute_sql("ANALYZE")
    client = login(reviewer)
    _, selects, _ = _visit(client, path.format(slug=crowded[1].slug))
    on_applications = [(s, p) for s, p in selects if 'FROM "application"' in s]
    assert on_applications
    for sql, params in on_applications:
        plan = _plan(sql, params, seqscan=False)
        if isinstance(db.obj, SqliteDatabase):
            assert "SCAN application" not in plan.replace("SCAN application USING", "USING"), (
                sql,
                plan,
            )
            assert "USE TEMP B-TREE FOR ORDER BY" not in plan or "LIMIT" not in sql, (sql, plan)
        else:
            assert "Seq Scan on application" not in plan, (sql, plan)


def _steps_of(sql, params) -> int:
    """The VM steps one statement takes, run again on its own."""
    steps = [0]

    def count():
        steps[0] += 1
        return 0

    raw = db.connection()
    raw.set_progress_handler(count, 1)
    try:
        db.execute_sql(sql, params).fetchall()
    finally:
        raw.set_progress_handler(None, 0)
    return steps[0]


def _counts_places(sql: str) -> bool:
    # A call's places left, counted over its applications by the catalog and
    # approval_blockers(): the quota work replaces both counts by the counter
    # Call.places_taken, kept by the writes (issue 21); not this page's work.
    return "COUNT(" in sql and '"call_id"' in sql


def test_case_page_queries_do_not_grow_with_the_applications(login, agency, crowded, reviewer):
    _grow(crowded, 200, 0)
    client = login(reviewer)
    case = Application.select().where(Application.program == crowded[0].id).first()
    path = f"/oficina/solicitudes/{case.folio}"
    client.get(path)
    sqlite = isinstance(db.obj, SqliteDatabase)
    _, small_selects, _ = _visit(client, path)
    small = [_steps_of(*s) for s in small_selects if sqlite and not _counts_places(s[0])]
    _grow(crowded, 2000, 200)
    _, large_selects, _ = _visit(client, path)
    large = [_steps_of(*s) for s in large_selects if sqlite and not _counts_places(s[0])]
    assert len(large_selects) == len(small_selects)
    if sqlite:
        assert sum(large) < sum(small) * 1.5, (small, large)


# The case page's statements, counted on 2026-12-03 (issue 21): the session,
# the staff member, the case with its program, agency, person and call, two
# audit entries (each reads the chain's last hash), the requirements, the
# documents, the person's enrollments, the catalog's fingerprint, the calls'
# places, who helped at the counter (two), the timeline, the blackouts and the
# program's budget beside the approval (two). There were 23 before.
CASE_PAGE_STATEMENTS = 18
_BY_KEY = re.compile(r'FROM "(program|agency|citizen|call)" AS "t1" WHERE \("t1"\."id" = ')


def test_case_page_reads_the_case_with_its_program_agency_person_and_call_at_once(
    login, agency, crowded, reviewer
):
    _grow(crowded, 20, 0)
    client = login(reviewer)
    case = Application.select().where(Application.program == crowded[0].id).first()
    path = f"/oficina/solicitudes/{case.folio}"
    client.get(path)  # the catalog compiled, the statements prepared
    with traced() as (traced_statements, _steps):
        response = client.get(path)
    assert response.status_code == 200
    # On PostgreSQL each audit entry also takes the trail's advisory lock.
    statements = [(q, p) for q, p in traced_statements if "pg_advisory_xact_lock" not in q]
    assert [sql for sql, _ in statements if _BY_KEY.search(sql)] == []
    assert len([sql for sql, _ in statements if 'FROM "requirement"' in sql]) == 1
    assert len(statements) <= CASE_PAGE_STATEMENTS, [sql[:80] for sql, _ in statements]
    page = html(response)
    person = case.citizen
    assert crowded[0].name in page.select_one("#caso").text
    assert agency.name in page.select_one("#caso").text
    assert f"{person.given_names} {person.first_surname}" in page.select_one("#persona").parent.text


def test_a_state_admin_opens_any_agencys_case_with_its_own_agency(login, agency, crowded):
    _grow(crowded, 5, 0)
    foreign = crowded[2]
    case = Application.select().where(Application.program == foreign.id).first()
    client = login(make_staff("admin_estatal"))
    response = client.get(f"/oficina/solicitudes/{case.folio.lower()}")
    assert response.status_code == 200
    assert foreign.agency.name in html(response).select_one("#caso").text
    assert (
        login(make_staff("revisor", agency)).get(f"/oficina/solicitudes/{case.folio}").status_code
        == 404
    )


def _bulk_audit(n: int, start: int, staff_id: int) -> None:
    """``n`` entries of a few actions, one day apart per thousand, oldest first
    (the chain's hashes are not checked here)."""
    base = utcnow() - dt.timedelta(days=400)
    actions = ("ver_solicitud", "ver_documento", "solicitud.aprobada", "tomar_solicitud")
    rows = [
        {
            "created_at": base + dt.timedelta(minutes=i),
            "actor_kind": "personal" if i % 3 else "sistema",
            "actor_id": staff_id if i % 3 else None,
            "object_type": "solicitud",
            "object_id": f"X-{i}",
            "action": actions[i % len(actions)],
            "prev_hash": f"{i:064d}",
            "hash": f"{i + 1:064d}",
        }
        for i in range(start, start + n)
    ]
    with db.atomic():
        for i in range(0, n, 2000):
            AuditEvent.insert_many(rows[i : i + 2000]).execute()


AUDIT_PAGES = [
    "/oficina/auditoria",
    "/oficina/auditoria?action=ver_documento",
    "/oficina/auditoria?staff_id={staff}",
    "/oficina/auditoria?since=2000-01-01&until=2100-01-01",
]


@pytest.mark.parametrize("path", AUDIT_PAGES)
def test_audit_search_does_not_grow_with_the_trail(login, reviewer, path):
    admin = make_staff("admin_estatal")
    client = login(admin)
    path = path.format(staff=reviewer.id)
    _bulk_audit(1000, 0, reviewer.id)
    client.get(path)
    _, small_selects, small_steps = _visit(client, path)
    _bulk_audit(5000, 1000, reviewer.id)
    large, large_selects, large_steps = _visit(client, path)
    assert len(large_selects) == len(small_selects)
    assert len(html(large).select("tbody tr")) == 50
    link = html(large).select_one("nav.pagination a[rel=next]")["href"]
    _, deep_selects, deep_steps = _visit(client, link)
    if isinstance(db.obj, SqliteDatabase):
        assert large_steps < small_steps * 1.5, (small_steps, large_steps)
        assert deep_steps < small_steps * 1.5, (small_steps, deep_steps)
        for sql, params in large_selects + deep_selects:
            if 'FROM "audit_event"' in sql:
                plan = _plan(sql, params)
                # Reading the trail by id, newest first, stops at the page's
                # end ("SCAN t1" in id order); sorting would read it all.
                assert "TEMP B-TREE" not in plan, (sql, plan)
                if "SCAN t1" in plan.replace("SCAN t1 USING", "USING"):
                    assert "ORDER BY" in sql and "LIMIT" in sql, (sql, plan)
