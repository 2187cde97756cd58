"""Statistics and open data from a cached, current build: the request reads the
last build (a constant number of queries whatever the registry's size), the
queue rebuilds what the writers marked, one build at a time, and every export
streams to a file in bounded memory and is served with an ETag."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import threading
import tracemalloc
from contextlib import contextmanager

import pytest

from portal.applications import workflow
from portal.backoffice.audit import SYSTEM, Actor
from portal.models import Citizen, Enrollment
from portal.transparency import builds, changes, tasks
from portal.transparency import public as transparency
from portal.transparency.models import OpenDataBuild, OpenDataChange, OpenDataLease
from portal.transparency.tasks import rebuild_open_data
from portal.web.database import is_sqlite, write
from portal.web.extensions import db
from tests.factories import (
    make_agency,
    make_application,
    make_citizen,
    make_enrollment,
    make_municipality,
    make_program,
    valid_curp,
)
from tests.support.html import html

CHUNK = 500


@pytest.fixture
def program(app):
    make_municipality("22014", "Querétaro")
    return make_program(make_agency(name="Secretaría de Bienestar"), slug="contigo",
                        name="Tarjeta Contigo")  # fmt: skip


def bulk_beneficiaries(program, n: int, start: int = 0) -> None:
    """``n`` active beneficiaries of ``program`` in a few inserts (factories are too slow)."""
    citizens = []
    for i in range(start, start + n):
        born = dt.date(1960 + i // 13_824, 3, 1)
        citizens.append(
            {"curp": valid_curp(born, "H", n=i % 13_824), "given_names": f"Persona {chr(65 + i % 26)}",
             "first_surname": "Beneficiaria", "second_surname": "Ejemplo", "birth_date": born,
             "sex": "H", "email": "", "municipality": "22014"}
        )  # fmt: skip
    with db.atomic():
        for k in range(0, n, CHUNK):
            Citizen.insert_many(citizens[k : k + CHUNK]).execute()
        ids = [
            c.id
            for c in Citizen.select(Citizen.id).where(
                Citizen.curp.in_([c["curp"] for c in citizens])
            )
        ]
        for k in range(0, len(ids), CHUNK):
            Enrollment.insert_many(
                [{"citizen": cid, "program": program.id, "exclusion_key": program.exclusion_key,
                  "source": "padron", "started_on": dt.date(2026, 1, 10)}
                 for cid in ids[k : k + CHUNK]]
            ).execute()  # fmt: skip
    if not is_sqlite():
        db.execute_sql("ANALYZE citizen, enrollment")  # as autovacuum would, before a big join


@contextmanager
def counted_queries():
    """Every statement the database is sent, through a hook on execute_sql."""
    statements: list[str] = []
    original = db.obj.execute_sql

    def traced(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    db.obj.execute_sql = traced
    try:
        yield statements
    finally:
        del db.obj.execute_sql


PUBLIC_URLS = [
    "/estadisticas",
    "/datos-abiertos",
    "/estadisticas/municipio.csv",
    "/datos-abiertos/beneficiarios.csv",
    "/datos-abiertos/beneficiarios.json",
    "/datos-abiertos/programas.csv",
    "/datos-abiertos/padron/contigo.csv",
    "/datos-abiertos/padron/contigo.json",
]


REGISTRY_TABLES = re.compile(r'\b"?(citizen|enrollment|application|beneficiary_cell)"?\b')


def queries_per_url(client) -> dict[str, int]:
    counts = {}
    for url in PUBLIC_URLS:
        client.get(url)  # warm: the snapshot is parsed once per process
        with counted_queries() as statements:
            response = client.get(url)
        assert response.status_code == 200, url
        read = [sql for sql in statements if REGISTRY_TABLES.search(sql)]
        assert not read, (url, read)  # nothing on the request path grows with the registry
        counts[url] = len(statements)
    return counts


def test_pages_and_downloads_cost_the_same_queries_at_10_and_2000_beneficiaries(app, program):
    client = app.test_client()
    bulk_beneficiaries(program, 10)
    rebuild_open_data()
    small = queries_per_url(client)
    bulk_beneficiaries(program, 1_990, start=10)
    changes_before = OpenDataChange.select().count()
    with write():
        changes.mark_changed(changes.BENEFICIARIES, program.id)
    rebuild_open_data()
    assert OpenDataChange.select().count() == changes_before  # the build took its mark
    large = queries_per_url(client)
    assert large == small
    assert max(large.values()) <= 3
    assert "2,000" in html(client.get("/estadisticas")).find(class_="lead").text


def test_the_page_shows_the_last_build_until_the_queue_rebuilds(client, program):
    workflow.enroll(make_citizen().id, program, SYSTEM)
    rebuild_open_data()
    assert "1 en total" in html(client.get("/estadisticas")).find(class_="lead").text
    enrollment = workflow.enroll(make_citizen(sex="H").id, program, SYSTEM)
    assert OpenDataChange.select().where(OpenDataChange.program_id == program.id).exists()
    assert "1 en total" in html(client.get("/estadisticas")).find(class_="lead").text
    rebuild_open_data()
    assert "2 en total" in html(client.get("/estadisticas")).find(class_="lead").text
    workflow.end_enrollment(enrollment, SYSTEM, "Baja")
    rebuild_open_data()
    assert "1 en total" in html(client.get("/estadisticas")).find(class_="lead").text
    assert not OpenDataChange.select().exists()


def test_the_page_says_when_its_data_were_built(client, program):
    make_enrollment(make_citizen(), program)
    rebuild_open_data()
    built = builds.current(builds.STATISTICS)
    text = html(client.get("/estadisticas")).find(id="datos-al").text
    local = built.built_at.replace(tzinfo=dt.UTC).astimezone(builds_zone())
    assert f"{local:%H:%M}" in text and str(local.year) in text
    assert "Datos al" in html(client.get("/datos-abiertos")).find(id="datos-al").text


def builds_zone():
    from portal.web.formatting import STATE_ZONE

    return STATE_ZONE


def test_a_mark_from_a_rolled_back_write_never_reaches_a_build(app, program):
    with pytest.raises(RuntimeError), write():
        changes.mark_changed(changes.APPLICATIONS)
        raise RuntimeError("the writer failed")
    assert not OpenDataChange.select().exists()


def test_an_unknown_kind_of_change_is_refused(app):
    with pytest.raises(ValueError):
        changes.mark_changed("padrones")


def test_only_the_roll_that_changed_is_written_again(app, program):
    other = make_program(slug="otro", name="Otro programa")
    make_enrollment(make_citizen(), program)
    make_enrollment(make_citizen(), other)
    builds.build()
    rolls_before = {b.name: b.file for b in OpenDataBuild.select()}
    workflow.enroll(make_citizen(sex="H").id, other, SYSTEM)
    report = builds.build()
    assert builds.roll_name("otro", "csv") in report.written
    assert not any(name.startswith("padron/contigo") for name in report.written + report.unchanged)
    assert (
        builds.current(builds.roll_name("contigo", "csv")).file
        == rolls_before[builds.roll_name("contigo", "csv")]
    )


def test_a_mark_committed_after_the_claim_waits_for_the_next_build(app, program):
    with write():
        changes.mark_changed(changes.BENEFICIARIES, program.id)
    generation = builds.take_lease("prueba")
    claimed = builds.claim_changes(generation)
    assert claimed.programs == {program.id}
    with write():
        changes.mark_changed(changes.APPLICATIONS)  # while the build runs
    builds._forget_changes(generation)
    builds.release_lease("prueba")
    left = list(OpenDataChange.select())
    assert [(m.kind, m.claimed) for m in left] == [(changes.APPLICATIONS, None)]


def test_marks_a_dead_builder_claimed_are_taken_by_the_next_build(app, program):
    make_enrollment(make_citizen(), program)
    with write():
        changes.mark_changed(changes.BENEFICIARIES, program.id)
    dead = builds.take_lease("muerto", seconds=-1)  # its lease already expired
    builds.claim_changes(dead)
    report = builds.build()
    assert report is not None and report.generation == dead + 1
    assert builds.roll_name("contigo", "csv") in report.written
    assert not OpenDataChange.select().exists()


def test_never_two_builds_at_once(app, program):
    assert builds.take_lease("primera") is not None
    assert builds.take_lease("segunda") is None
    assert builds.build() is None
    assert OpenDataBuild.select().count() == 0
    builds.release_lease("primera")
    assert builds.build() is not None


def test_a_build_that_outlives_its_lease_stops(app, program, monkeypatch):
    make_enrollment(make_citizen(), program)
    real = builds._write_output

    def steal_then_write(*args, **kwargs):
        OpenDataLease.update(holder="otra", until=dt.datetime(2999, 1, 1)).execute()
        return real(*args, **kwargs)

    monkeypatch.setattr(builds, "_write_output", steal_then_write)
    with pytest.raises(builds.LeaseLost):
        builds.build()
    assert OpenDataBuild.select().count() == 1  # stopped before its second file
    assert builds.current(builds.STATISTICS) is None  # the snapshot, written last, never was


def test_parallel_requests_before_the_first_build_cost_one_build(app, program, monkeypatch):
    make_enrollment(make_citizen(), program)
    started = []
    real = builds._build

    def counted(*args, **kwargs):
        started.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(builds, "_build", counted)
    statuses: list[int] = []
    barrier = threading.Barrier(6)

    def download():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.get("/datos-abiertos/padron/contigo.csv").status_code)

    threads = [threading.Thread(target=download) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(statuses) <= {200, 503} and 200 in statuses
    client = app.test_client()
    for _ in range(10):
        assert client.get("/datos-abiertos/padron/contigo.csv").status_code == 200
    assert len(started) == 1


def test_no_build_yet_says_en_preparacion_and_is_not_cached(client, program, monkeypatch):
    monkeypatch.setattr(tasks, "request_first_build", lambda: None)  # the queue not run yet
    for url in ("/estadisticas", "/datos-abiertos", "/datos-abiertos/padron/contigo.csv"):
        response = client.get(url)
        assert response.status_code == 503, url
        assert response.headers["Retry-After"] == "60"
        assert response.headers["Cache-Control"] == "no-store"
        assert "en preparación" in html(response).find("h1").text.lower()


def test_the_first_request_asks_the_queue_for_a_build(client, program):
    make_enrollment(make_citizen(), program)
    assert builds.current(builds.STATISTICS) is None
    assert client.get("/estadisticas").status_code == 200  # the immediate queue built it
    assert builds.current(builds.STATISTICS) is not None


def test_downloads_answer_304_to_a_client_that_has_them(client, program):
    make_enrollment(make_citizen(), program)
    rebuild_open_data()
    first = client.get("/datos-abiertos/padron/contigo.csv")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"].startswith("public")
    assert client.get("/datos-abiertos/padron/contigo.csv",
                      headers={"If-None-Match": etag}).status_code == 304  # fmt: skip
    assert client.get("/datos-abiertos/padron/contigo.csv",
                      headers={"If-Modified-Since": modified}).status_code == 304  # fmt: skip
    rebuild_open_data(force=True)  # nothing changed: the same bytes, the same ETag
    assert client.get("/datos-abiertos/padron/contigo.csv").headers["ETag"] == etag
    workflow.enroll(make_citizen(given_names="Rosa").id, program, SYSTEM)
    rebuild_open_data()
    again = client.get("/datos-abiertos/padron/contigo.csv", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert "Rosa" in again.get_data(as_text=True)


def test_a_new_day_rebuilds_and_a_quiet_minute_does_not(app, program):
    make_enrollment(make_citizen(), program)
    today = dt.date.today()
    builds.build(today=today)
    assert not builds.needs_build(today)
    assert builds.needs_build(today + dt.timedelta(days=1))


def test_an_edited_catalog_is_rebuilt(client, program):
    make_enrollment(make_citizen(), program)
    rebuild_open_data()
    program.name = "Tarjeta Contigo Plus"
    program.updated_at = dt.datetime(2030, 1, 1)
    program.save()
    assert builds.needs_build()
    rebuild_open_data()
    rows = list(csv.DictReader(io.StringIO(client.get("/datos-abiertos/programas.csv").text)))
    assert [r["programa"] for r in rows] == ["Tarjeta Contigo Plus"]


def test_a_roll_nobody_receives_any_more_is_withdrawn(client, program):
    enrollment = workflow.enroll(make_citizen().id, program, SYSTEM)
    rebuild_open_data()
    assert client.get("/datos-abiertos/padron/contigo.csv").status_code == 200
    workflow.end_enrollment(enrollment, SYSTEM, "Baja")
    rebuild_open_data()
    assert client.get("/datos-abiertos/padron/contigo.csv").status_code == 404
    assert client.get("/datos-abiertos/padron/no-existe.json").status_code == 404
    assert "Todavía no hay padrones publicados." in client.get("/datos-abiertos").text
    assert sorted(p.name for p in builds.folder().iterdir() if "padron" in p.name) == []


def test_refresh_command_rebuilds_everything(app, program):
    make_enrollment(make_citizen(), program)
    result = app.test_cli_runner().invoke(args=["estadisticas", "refresh"])
    assert result.exit_code == 0, result.output
    # the catalog and the table (CSV, JSON), five charts, the roll (CSV, JSON), the snapshot
    assert "Datos abiertos: 12 archivos nuevos" in result.output
    builds.take_lease("otra")
    busy = app.test_cli_runner().invoke(args=["estadisticas", "refresh"])
    assert busy.exit_code == 1 and "en curso" in busy.output


def test_streaming_50000_rows_stays_within_a_fixed_memory_bound(app, program):
    bulk_beneficiaries(program, 50_000)
    program = type(program).get_by_id(program.id)
    for fmt in builds.FORMATS:
        rows = transparency.published_roll(program)
        chunks = builds._rows_as(fmt, transparency.PUBLISHED_ROLL_COLUMNS, rows)
        tracemalloc.start()
        try:
            builds._write_output(builds.roll_name("contigo", fmt), chunks, 1, dt.date.today())
            _size, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        size = builds.path_of(builds.current(builds.roll_name("contigo", fmt))).stat().st_size
        assert size > 4_000_000, fmt  # the data: megabytes (in dicts, tens of megabytes)
        assert peak < 2_000_000, (fmt, peak)  # the export: a fixed bound, far under it
    body = builds.path_of(builds.current(builds.roll_name("contigo", "json"))).read_text()
    assert len(json.loads(body)) == 50_000


def test_a_status_change_is_marked_and_shown_after_the_rebuild(client, program):
    citizen = make_citizen()
    application = make_application(citizen, program, status="borrador", submitted_at=None)
    rebuild_open_data()
    assert applications_shown(client) == {}
    workflow.transition(application, "enviada", Actor.citizen(citizen))
    assert OpenDataChange.select().where(OpenDataChange.kind == changes.APPLICATIONS).exists()
    assert applications_shown(client) == {}  # the last build, until the queue runs
    rebuild_open_data()
    assert applications_shown(client) == {"Tarjeta Contigo": "<5"}


def applications_shown(client) -> dict[str, str]:
    caption = html(client.get("/estadisticas")).find(id="g-solicitudes-caption")
    table = caption.parent.find("table")
    return {tr.th.text: tr.td.text for tr in table.tbody.find_all("tr")} if table else {}


def test_statistics_and_open_data_pages_are_kept_by_the_page_cache(
    app, client, program, monkeypatch
):
    """Rendered once per PAGE_CACHE_SECONDS from the build; the 503 before the
    first build is never kept (the next visitor sees the page once it exists)."""
    from flask import template_rendered

    from portal.web import pagecache

    app.config["PAGE_CACHE_SECONDS"] = 10
    pagecache.cache().clear()
    seen: list[str] = []

    def record(sender, template, context, **extra):
        seen.append(template.name)

    template_rendered.connect(record, app)
    try:
        with monkeypatch.context() as patched:
            patched.setattr(tasks, "request_first_build", lambda: None)
            assert client.get("/estadisticas").status_code == 503
        make_enrollment(make_citizen(), program)
        rebuild_open_data()
        for url, template in (
            ("/estadisticas", "transparency/statistics.html"),
            ("/datos-abiertos", "transparency/open_data.html"),
        ):
            first, second = client.get(url), client.get(url)
            assert first.status_code == second.status_code == 200, url
            assert second.data == first.data
            assert seen.count(template) == 1, url
            assert second.headers["Cache-Control"].startswith("public, max-age=")
    finally:
        template_rendered.disconnect(record, app)


def test_downloads_are_compressed_once_at_build_time_and_sent_as_built(client, program):
    """A client that takes brotli or gzip gets the copy the build compressed (the
    same bytes as the file, once decompressed); one that takes neither gets the
    file; an unchanged rebuild keeps the copies, a removed roll takes them along."""
    import gzip

    import brotli

    bulk_beneficiaries(program, 300)
    rebuild_open_data()
    build = builds.current("padron/contigo.csv")
    plain = builds.path_of(build).read_bytes()
    assert len(plain) > 1400
    url = "/datos-abiertos/padron/contigo.csv"
    for accept, encoding, decode in (
        ("gzip, deflate, br", "br", brotli.decompress),
        ("gzip", "gzip", gzip.decompress),
    ):
        response = client.get(url, headers={"Accept-Encoding": accept})
        assert response.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in response.headers["Vary"]
        assert decode(response.data) == plain
        assert response.headers["ETag"] == f'"{build.etag}-{encoding}"'
        assert client.get(url, headers={"Accept-Encoding": accept,
                                        "If-None-Match": response.headers["ETag"]}
                          ).status_code == 304  # fmt: skip
    identity = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in identity.headers and identity.data == plain
    # The copies are made by the build, not by the request: none written since.
    folder = builds.path_of(build).parent
    copies = sorted(p.name for p in folder.iterdir() if p.name.startswith(build.file))
    assert copies == [build.file, build.file + ".br", build.file + ".gz"]
    roll = [folder / name for name in copies]
    mtimes = [p.stat().st_mtime_ns for p in roll]
    rebuild_open_data(force=True)  # the same bytes: the same files
    assert [p.stat().st_mtime_ns for p in roll] == mtimes
    # Nobody receives the program any more: the roll and its copies go.
    with write():
        Enrollment.update(active=False, ended_on=dt.date.today()).execute()
    rebuild_open_data(force=True)
    assert not [p for p in folder.iterdir() if p.name.startswith("padron-contigo")]


def test_a_small_download_has_no_compressed_copy(client, program):
    make_enrollment(make_citizen(), program)
    rebuild_open_data()
    build = builds.current(builds.dimension_name("sexo"))
    assert builds.path_of(build).stat().st_size < 1400
    response = client.get("/estadisticas/sexo.csv", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


def test_a_file_built_before_there_were_copies_gets_them_at_the_next_build(client, program):
    bulk_beneficiaries(program, 300)
    rebuild_open_data()
    path = builds.path_of(builds.current("padron/contigo.csv"))
    for suffix in (".br", ".gz"):
        path.with_name(path.name + suffix).unlink()
    rebuild_open_data(force=True)  # the same bytes: the file is kept, its copies made
    assert builds.path_of(builds.current("padron/contigo.csv")) == path
    response = client.get("/datos-abiertos/padron/contigo.csv", headers={"Accept-Encoding": "br"})
    assert response.headers["ETag"].endswith('-br"')
