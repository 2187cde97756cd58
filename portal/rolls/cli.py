"""``flask --app wsgi padron import FILE --program SLUG``, ``padron duplicates`` and
``padron federal SLUG --out FILE`` (the federal single roll, portal/rolls/federal.py)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from portal.backoffice import audit
from portal.models import Municipality, Program
from portal.rolls import duplicates, federal, federal_layout, writing
from portal.rolls.reading import RollError, count_rows
from portal.vocabulary import AuditAction
from portal.web.exports import write_atomically
from portal.web.tables import tuples


@click.group("padron")
def cli() -> None:
    """Padrones de beneficiarios: carga masiva y posibles duplicados."""


@cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--program", "slug", required=True, help="Clave (slug) del programa.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Dónde escribir el CSV de filas rechazadas (por omisión, junto al archivo).",
)
def import_command(file: Path, slug: str, report: Path | None) -> None:
    """Carga un padrón CSV o XLSX en un programa, todo o nada."""
    program = Program.get_or_none(Program.slug == slug)
    if program is None:
        raise click.ClickException(f"No existe el programa «{slug}».")
    try:
        batch, pending = writing.prepare_batch(file, file.name, program)
    except RollError as exc:
        raise click.ClickException(str(exc.message)) from None
    if not pending:
        click.echo(f"Este archivo ya se cargó (lote {batch.id}); no se creó nada nuevo.")
    else:
        total = count_rows(file)
        started = time.perf_counter()
        with click.progressbar(length=total, label="Cargando filas") as bar:
            done = 0

            def progress(processed: int, _total: int) -> None:
                nonlocal done
                bar.update(processed - done)
                done = processed

            batch = writing.run_batch(batch.id, file, progress=progress)
        seconds = time.perf_counter() - started
        if batch.status == "en_proceso":
            raise click.ClickException(
                f"Otra carga de este archivo está en curso (lote {batch.id}). Si se "
                "interrumpió, la recuperación la retoma o puede volver a ejecutar "
                f"este comando {int(writing.STALLED_AFTER.total_seconds() // 60)} minutos "
                "después de su última señal de vida."
            )
        if batch.status != "terminado":
            raise click.ClickException(batch.error)
        click.echo(f"Lote {batch.id}: {batch.total_rows} filas en {seconds:.1f} s.")
    click.echo(
        f"Aceptadas: {batch.accepted} (personas nuevas: {batch.new_citizens}); "
        f"rechazadas: {batch.rejected}."
    )
    if batch.addresses_unmatched:
        click.echo(
            f"Domicilios que no están en los catálogos (guardados sin ellos): {batch.addresses_unmatched}."
        )
    if batch.rejected:
        target = report or file.with_name(f"{file.stem}-rechazadas.csv")
        with open(target, "w", encoding="utf-8-sig", newline="") as fh:
            fh.writelines(writing.report_csv(batch.id))
        click.echo(f"Reporte de filas rechazadas: {target}")


@cli.command("duplicates")
@click.option("--threshold", default=duplicates.NAME_THRESHOLD, show_default=True, type=float)
def duplicates_command(threshold: float) -> None:
    """Busca posibles personas duplicadas y guarda los pares para revisión."""
    started = time.perf_counter()
    found = duplicates.find_candidates(threshold=threshold)
    stored = duplicates.store_candidates(found)
    seconds = time.perf_counter() - started
    click.echo(f"Pares encontrados: {len(found)} (nuevos: {stored}) en {seconds:.1f} s.")


@cli.command("federal")
@click.argument("slug")
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
    help="Dónde escribir el archivo.",
)  # fmt: skip
@click.option(
    "--formato", "fmt", type=click.Choice(federal_layout.FORMATS), default="csv",
    show_default=True, help="csv, o txt (texto delimitado por |, sin encabezado).",
)  # fmt: skip
@click.option(
    "--ejercicio", "year", type=int, help="Solo un ejercicio fiscal (por omisión, todos)."
)
@click.option("--validar", is_flag=True, help="Revisa el archivo escrito contra el formato.")
def federal_command(slug: str, out: Path, fmt: str, year: int | None, validar: bool) -> None:
    """Escribe el padrón de un programa en el formato del padrón federal (PUB)."""
    program = Program.get_or_none(Program.slug == slug)
    if program is None:
        raise click.ClickException(f"No existe el programa «{slug}».")
    try:
        export = federal.export(program, fmt, year)
    except federal.FederalRollError as exc:
        raise click.ClickException(str(exc.message)) from None
    audit.record(
        AuditAction.ROLL_FEDERAL,
        audit.SYSTEM,
        object_type="programa",
        object_id=program.slug,
        details={"formato": fmt, "ejercicio": year, "via": "cli"},
    )
    started = time.perf_counter()
    _digest, size = write_atomically(out, export.chunks())
    seconds = time.perf_counter() - started
    click.echo(f"{out}: {export.records_written} registros, {size:,} bytes en {seconds:.1f} s.")
    if validar:
        known = {code for (code,) in tuples(Municipality.select(Municipality.code))}
        with open(out, encoding="utf-8", newline="") as fh:
            result = federal_layout.validate(fh, fmt, municipalities=known)
        for problem in result.problems:
            click.echo(problem, err=True)
        if not result.valid:
            raise click.ClickException(
                f"El archivo no cumple el formato ({len(result.problems) + result.more} problemas)."
            )
        click.echo(f"Validado: {result.records} registros cumplen el formato.")
