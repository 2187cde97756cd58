"""Bulk upload of rolls: validation of every row, all-or-nothing, idempotent."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import Workbook

from portal.models import Citizen, Enrollment, ImportBatch, ImportRejection, utcnow
from portal.rolls import judging, pipeline, writing
from portal.rolls.reading import RollError
from portal.transparency import public as transparency
from portal.web.database import is_sqlite
from tests.factories import make_citizen, make_municipality, make_program
from tests.padron_builders import HEADER, person, write_roll

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def municipalities(app):
    make_municipality("22014", "Querétaro")
    make_municipality("22016", "San Juan del Río")


def run(path, program):
    batch, pending = writing.prepare_batch(path, path.name, program)
    if pending:
        batch = writing.run_batch(batch.id, path, today=dt.date(2026, 3, 1))
    return batch


def reasons(batch):
    return {
        r.row_number: r.reasons
        for r in ImportRejection.select().where(ImportRejection.batch == batch)
    }


def test_good_rows_create_citizens_and_enrollments(municipalities, tmp_path):
    program = make_program()
    path = write_roll(tmp_path / "padron.csv", [person(n) for n in range(12)])
    batch = run(path, program)
    assert (batch.status, batch.accepted, batch.rejected, batch.new_citizens) == (
        "terminado",
        12,
        0,
        12,
    )
    assert Citizen.select().where(Citizen.origin == "import").count() == 12
    enrollment = Enrollment.select().where(Enrollment.program == program).first()
    assert (enrollment.source, enrollment.import_batch, enrollment.benefit_amount) == (
        "padron",
        str(batch.id),
        1500,
    )
    assert enrollment.started_on == dt.date(2026, 2, 1)


def test_existing_citizen_is_reused_not_duplicated(municipalities, tmp_path):
    program = make_program()
    row = person(1)
    citizen = make_citizen(
        curp=row[0], birth_date=dt.date(1990, 3, 1), sex="M", origin="digital_id"
    )
    batch = run(write_roll(tmp_path / "p.csv", [row]), program)
    assert (batch.accepted, batch.new_citizens) == (1, 0)
    assert Enrollment.get().citizen_id == citizen.id
    assert Citizen.get_by_id(citizen.id).origin == "digital_id"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda r: r.__setitem__(0, r[0][:17] + str((int(r[0][17]) + 1) % 10)),
            "dígito verificador",
        ),
        (lambda r: r.__setitem__(0, "ABC"), "18 caracteres"),
        (lambda r: r.__setitem__(4, "02/03/1990"), "no coincide con la de la CURP"),
        (lambda r: r.__setitem__(4, "31/31/1990"), "no es una fecha"),
        (lambda r: r.__setitem__(5, "Hombre"), "sexo registrado"),
        (lambda r: r.__setitem__(5, "Z"), "no se reconoce"),
        (lambda r: r.__setitem__(6, "09015"), "no es un municipio del estado"),
        (lambda r: r.__setitem__(1, ""), "Falta el nombre"),
        (lambda r: r.__setitem__(7, "mucho"), "no es una cantidad"),
        (lambda r: r.__setitem__(7, "-5"), "entre 0 y"),
    ],
)
def test_each_bad_row_is_rejected_with_a_spanish_reason(municipalities, tmp_path, change, expected):
    program = make_program()
    bad = person(2)
    change(bad)
    batch = run(write_roll(tmp_path / "p.csv", [person(1), bad]), program)
    assert (batch.accepted, batch.rejected) == (1, 1)
    assert any(expected in reason for reason in reasons(batch)[3]), reasons(batch)


def test_municipality_by_name_or_short_code_and_header_variants(municipalities, tmp_path):
    program = make_program()
    rows = [person(1), person(2), person(3)]
    rows[0][6], rows[1][6], rows[2][6] = "san juan del rio", "016", "22014"
    header = ["Clave CURP", "nombre", "Primer apellido", "segundo apellido", "fecha nacimiento",
              "SEXO", "municipio", "beneficio", "fecha de alta"]  # fmt: skip
    batch = run(write_roll(tmp_path / "p.csv", rows, header=header, delimiter=";"), program)
    assert batch.accepted == 3
    municipalities_ = sorted(c.municipality_id for c in Citizen.select())
    assert municipalities_ == ["22014", "22016", "22016"]


def test_program_rules_are_judged_on_what_the_roll_holds(municipalities, tmp_path):
    program = make_program(
        eligibility=[
            {"field": "sex", "op": "eq", "value": "M", "reason": "Es solo para mujeres."},
            {"field": "age", "op": "gte", "value": 18, "reason": "Es para personas adultas."},
            {"field": "household_income_monthly", "op": "lt", "value": 5000, "reason": "Ingreso."},
        ]
    )
    man, child = person(1, sex="H"), person(2, born=dt.date(2015, 1, 1))
    batch = run(write_roll(tmp_path / "p.csv", [person(3), man, child]), program)
    assert batch.accepted == 1  # income is not in a roll: it is not a failure
    assert reasons(batch) == {3: ["Es solo para mujeres."], 4: ["Es para personas adultas."]}


def test_duplicates_in_file_enrollment_and_exclusion_group(municipalities, tmp_path):
    group_a = make_program(exclusion_group="apoyo-familias", name="Tarjeta Contigo")
    group_b = make_program(exclusion_group="apoyo-familias")
    enrolled, other = person(1), person(2)
    run(write_roll(tmp_path / "a.csv", [enrolled]), group_a)
    run(write_roll(tmp_path / "b.csv", [other]), group_b)
    batch = run(write_roll(tmp_path / "c.csv", [other, person(3), person(3), enrolled]), group_b)
    assert batch.accepted == 1
    assert reasons(batch) == {
        2: ["Ya está inscrita en este programa."],
        4: ["La CURP ya aparece en la fila 3 del archivo."],
        5: ["No se puede combinar con Tarjeta Contigo, que ya recibe."],
    }


def test_reimporting_the_same_file_creates_nothing(municipalities, tmp_path):
    program = make_program()
    path = write_roll(tmp_path / "p.csv", [person(n) for n in range(5)])
    first = run(path, program)
    again, pending = writing.prepare_batch(path, "otra vez.csv", program)
    assert (again.id, pending) == (first.id, False)
    assert Enrollment.select().count() == 5
    assert ImportBatch.select().count() == 1


def test_xlsx_roll_with_real_dates(municipalities, tmp_path):
    program = make_program()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for n in range(3):
        row = person(n)
        row[4] = dt.datetime.strptime(row[4], "%d/%m/%Y")
        row[7] = 1500.0
        sheet.append(row)
    path = tmp_path / "padron.xlsx"
    workbook.save(path)
    batch = run(path, program)
    assert (batch.accepted, batch.rejected) == (3, 0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "no es un CSV"),
        (b"\x00\x01binario", "no es un CSV"),
        (b"nombre,apellido\nAna,Ruiz\n", "faltan columnas obligatorias: CURP"),
        (b"PK\x03\x04no es un zip", "No se pudo leer el libro"),
    ],
)
def test_files_that_cannot_be_a_roll_are_refused_whole(municipalities, tmp_path, content, message):
    path = tmp_path / "malo.csv"
    path.write_bytes(content)
    with pytest.raises(RollError, match=message):
        writing.prepare_batch(path, "malo.csv", make_program())
    assert ImportBatch.select().count() == 0


def test_cp1252_csv_from_excel_is_read(municipalities, tmp_path):
    program = make_program()
    path = tmp_path / "excel.csv"
    write_roll(path, [person(1)])
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1252"))
    assert run(path, program).accepted == 1
    assert Citizen.get().first_surname == "Gómez"


def test_failure_midway_rolls_back_everything(municipalities, tmp_path, monkeypatch):
    program = make_program()
    path = write_roll(tmp_path / "p.csv", [person(n) for n in range(30)])
    monkeypatch.setattr(pipeline, "CHUNK", 10)
    calls = []

    def explode(processed, total):
        calls.append(processed)
        if len(calls) == 2:
            raise RuntimeError("disco lleno")

    batch, _ = writing.prepare_batch(path, path.name, program)
    with pytest.raises(RuntimeError):
        writing.run_batch(batch.id, path, progress=explode)
    assert Citizen.select().count() == 0 and Enrollment.select().count() == 0
    assert ImportBatch.get_by_id(batch.id).status == "fallido"
    # Running it again resumes the same batch and completes it.
    batch, pending = writing.prepare_batch(path, path.name, program)
    assert pending and writing.run_batch(batch.id, path).accepted == 30


def test_report_lists_rejected_rows_with_reasons(municipalities, tmp_path):
    program = make_program()
    bad = person(2)
    bad[1] = "=cmd|' /C calc'!A0"
    bad[4] = "02/03/1990"
    batch = run(write_roll(tmp_path / "p.csv", [person(1), bad]), program)
    report = "".join(writing.report_csv(batch.id)).splitlines()
    assert report[0] == "fila,curp,nombre,motivos"
    assert report[1].startswith("3,") and "'=cmd" in report[1] and "no coincide" in report[1]


def _process_status(pid: int) -> dict[str, str]:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return {}
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    state = _process_status(pid).get("State", "Z")
    return not state.startswith(("Z", "X"))


def _judging_processes(parent: int | None = None) -> list[int]:
    """The live judging processes (pipeline.judged_chunks) started by ``parent``."""
    parent = parent or os.getpid()
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        pid = int(status.parent.name)
        try:
            cmdline = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if (
            b"multiprocessing.spawn" in cmdline
            and _process_status(pid).get("PPid") == str(parent)
            and _alive(pid)
        ):
            found.append(pid)
    return found


KILLED = 8_000  # rows of the roll whose import is killed: 16 chunks, twice the queue


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="the kill test runs on SQLite"
)
def test_kill_9_midway_leaves_nothing_and_a_rerun_completes(app, municipalities, tmp_path):
    """A real process, killed with SIGKILL while its transaction is open."""
    assert is_sqlite()
    program = make_program(slug="programa-kill")
    from portal.web.extensions import db

    indexes = _indexes()
    db.close()
    rows = [
        person(n, born=dt.date(1950, 1, 1) + dt.timedelta(days=n % 9000)) for n in range(KILLED)
    ]
    path = write_roll(tmp_path / "grande.csv", rows)
    progress_dir = tmp_path / "progreso"
    env = dict(os.environ, DATABASE_URL=app.config["DATABASE_URL"], INSTANCE_PATH=str(tmp_path))
    script = (
        "import sys; from pathlib import Path; from portal import create_app;"
        "from portal.rolls import pipeline, writing;"
        # Small chunks judged in a second process, as a state's roll of a
        # million rows would be, without the minutes that roll would take.
        f"pipeline.CHUNK = {KILLED // 16}; pipeline.PARALLEL_MIN_ROWS = {KILLED // 2};"
        "from portal.models import Program; app = create_app();"
        "ctx = app.app_context(); ctx.push();"
        "p = Program.get(Program.slug == 'programa-kill');"
        "b, _ = writing.prepare_batch(Path(sys.argv[1]), 'grande.csv', p);"
        "writing.run_batch(b.id, Path(sys.argv[1]), progress=writing.ProgressFile(sys.argv[2], b.id))"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path), str(progress_dir)], cwd=ROOT, env=env
    )
    deadline = time.monotonic() + 120
    while not list(progress_dir.glob("progreso-*.json")) and time.monotonic() < deadline:
        assert child.poll() is None, "the import ended before it could be killed"
        time.sleep(0.05)
    # The roll is large enough to be judged in a second process, which cannot
    # be done yet: the queue holds fewer chunks than the file makes.
    judges = _judging_processes(child.pid)
    assert judges
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    # Its judging process (the roll is large enough to have one) ends too.
    deadline = time.monotonic() + 30
    while any(map(_alive, judges)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(map(_alive, judges))
    db.connect(reuse_if_open=True)
    assert _indexes() == indexes  # an import never drops an index any more
    # Nothing of it is visible: no active enrollment, nothing counted, the
    # batch unfinished; what it staged is there only for the recovery to remove.
    assert Enrollment.select().where(Enrollment.active).count() == 0
    assert transparency.compute_stats().total() == 0
    batch = ImportBatch.get()
    assert batch.status == "en_proceso" and 0 < batch.processed < KILLED
    assert writing.has_staged(batch.id)
    # A run lost that long ago is taken over by the next one, which first
    # removes the staged rows and the people only they named.
    ImportBatch.update(
        started_at=utcnow() - writing.STALLED_AFTER * 2,
        heartbeat_at=utcnow() - writing.STALLED_AFTER * 2,
    ).execute()
    batch, pending = writing.prepare_batch(path, path.name, program)
    assert pending
    assert writing.run_batch(batch.id, path).accepted == KILLED
    assert Citizen.select().count() == KILLED
    assert Enrollment.select().where(Enrollment.active).count() == KILLED
    assert not writing.has_staged(batch.id)


def _indexes() -> list[tuple[str, str]]:
    from portal.web.extensions import db

    return db.execute_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    ).fetchall()


def _mixed_roll(tmp_path: Path) -> Path:
    """Good rows, a repeated CURP, a bad CURP, a bad date and a bad municipality."""
    rows = [person(n) for n in range(40)]
    rows.append(person(7))
    bad = [person(n) for n in range(40, 43)]
    bad[0][0] = "ABC"
    bad[1][4] = "31/31/1990"
    bad[2][6] = "09015"
    return write_roll(tmp_path / "mezcla.csv", rows + bad)


def test_judging_in_a_second_process_gives_the_same_chunks(municipalities, tmp_path, monkeypatch):
    monkeypatch.setattr(pipeline, "CHUNK", 7)
    path = _mixed_roll(tmp_path)
    ctx = judging.build_context(make_program(), dt.date(2026, 3, 1))
    here = list(pipeline.judged_chunks(path, ctx))
    # CHUNK is read by the child from its own import of the module: only the
    # chunk boundaries may differ, so compare the rows and rejections in order.
    there = list(pipeline.judged_chunks(path, ctx, parallel=True))
    assert sum(c[0] for c in there) == sum(c[0] for c in here) == 44
    assert [r for c in there for r in c[1]] == [r for c in here for r in c[1]]
    assert [r for c in there for r in c[2]] == [r for c in here for r in c[2]]
    assert len([r for c in here for r in c[2]]) == 4


def test_a_failure_in_the_judging_process_reaches_the_writer(municipalities, tmp_path):
    ctx = judging.build_context(make_program(), dt.date(2026, 3, 1))
    with pytest.raises(RuntimeError, match="FileNotFoundError"):
        list(pipeline.judged_chunks(tmp_path / "no-existe.csv", ctx, parallel=True))
    unreadable = tmp_path / "sin-curp.csv"
    unreadable.write_text("nombre,apellido\nAna,Ruiz\n", encoding="utf-8")
    with pytest.raises(RollError, match="faltan columnas obligatorias"):
        list(pipeline.judged_chunks(unreadable, ctx, parallel=True))


def test_parallel_and_plain_imports_write_the_same(municipalities, tmp_path):
    from portal.web.extensions import db

    program = make_program()
    path = _mixed_roll(tmp_path)
    batch, _ = writing.prepare_batch(path, path.name, program)
    batch = writing.run_batch(batch.id, path, today=dt.date(2026, 3, 1), parallel=True)
    assert (batch.status, batch.accepted, batch.rejected, batch.new_citizens) == (
        "terminado",
        40,
        4,
        40,
    )
    assert set(reasons(batch)) == {42, 43, 44, 45}
    written = db.execute_sql(
        "SELECT c.curp, e.benefit_amount, e.started_on FROM enrollment e "
        "JOIN citizen c ON c.id = e.citizen_id ORDER BY c.curp"
    ).fetchall()
    assert [row[0] for row in written] == sorted(person(n)[0] for n in range(40))


def test_a_failing_writer_ends_the_judging_process(municipalities, tmp_path):
    """More chunks than the pipe holds: the judging process is still writing
    when the writer fails, and must not be left waiting."""
    path = write_roll(tmp_path / "p.csv", [person(n) for n in range(50_000)])
    batch, _ = writing.prepare_batch(path, path.name, make_program())
    alive_then = []

    def explode(processed, total):
        alive_then.extend(_judging_processes())
        raise RuntimeError("disco lleno")

    with pytest.raises(RuntimeError, match="disco lleno"):
        writing.run_batch(batch.id, path, progress=explode, parallel=True)
    assert alive_then
    assert not _judging_processes()
    assert Citizen.select().count() == 0 and Enrollment.select().count() == 0


def test_a_judging_process_that_dies_fails_the_import_instead_of_hanging(municipalities, tmp_path):
    path = write_roll(tmp_path / "p.csv", [person(n) for n in range(60_000)])
    ctx = judging.build_context(make_program(), dt.date(2026, 3, 1))
    chunks = pipeline.judged_chunks(path, ctx, parallel=True)
    try:
        assert next(chunks)[0] == pipeline.CHUNK
        (judge,) = _judging_processes()
        os.kill(judge, signal.SIGKILL)
        with pytest.raises(RuntimeError, match="ended early"):
            for _chunk in chunks:
                pass
    finally:
        chunks.close()
    assert not _judging_processes()
