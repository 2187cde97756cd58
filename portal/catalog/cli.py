"""``flask --app wsgi catalog load FILE`` and ``flask --app wsgi eligibility check PROFILES``."""

from __future__ import annotations

from datetime import date
from typing import NoReturn

import click
from flask.cli import AppGroup

from portal.catalog import schema as catalog_files
from portal.catalog.store import LoadError, engine_catalog, load_catalog
from portal.eligibility.engine import compile_catalog
from portal.eligibility.profile import ProfileError, read_profiles

catalog_cli = AppGroup("catalog", help="Catálogo de programas.")
eligibility_cli = AppGroup("eligibility", help="Reglas de elegibilidad.")


def _fail(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(problem, err=True)
    raise SystemExit(1)


@catalog_cli.command("load")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--sobrescribir",
    "overwrite",
    multiple=True,
    metavar="SLUG",
    help="Programa editado en la oficina que el archivo debe reemplazar (puede repetirse).",
)
def load(path: str, overwrite: tuple[str, ...]) -> None:
    """Validate a catalog file and load it into the database (idempotent).

    A program last saved in the back office is not replaced unless named with
    --sobrescribir: the load stops and names it."""
    try:
        summary = load_catalog(catalog_files.load_catalog(path), overwrite=overwrite)
    except (catalog_files.CatalogError, LoadError) as exc:
        _fail(exc.problems if isinstance(exc, LoadError) else exc.messages)
    click.echo(
        f"dependencias nuevas: {len(summary.agencies_created)}, "
        f"actualizadas: {len(summary.agencies_updated)}; "
        f"programas nuevos: {len(summary.programs_created)}, "
        f"actualizados: {len(summary.programs_updated)}, "
        f"sin cambios: {len(summary.programs_unchanged)}"
    )


@eligibility_cli.command("check")
@click.argument("profiles", type=click.File("r", encoding="utf-8"))
@click.option(
    "--catalog",
    "catalog_path",
    type=click.Path(exists=True, dir_okay=False),
    help="Archivo de catálogo; sin él se usan los programas de la base de datos.",
)
@click.option(
    "--on",
    "on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Fecha de evaluación (AAAA-MM-DD); hoy si no se indica.",
)
def check(profiles, catalog_path: str | None, on) -> None:
    """Evaluate JSON profiles (one object, or JSON lines); print one JSON line each."""
    when = on.date() if on is not None else date.today()
    try:
        people = read_profiles(profiles.read(), on=when)
    except ProfileError as exc:
        _fail([f"{profiles.name}: {field}: {message}" for field, message in exc.errors.items()])
    if catalog_path:
        try:
            compiled = compile_catalog(catalog_files.load_catalog(catalog_path).programs)
        except catalog_files.CatalogError as exc:
            _fail(exc.messages)
    else:
        compiled = engine_catalog()
    for profile in people:
        try:
            # The line json.dumps([r.to_dict() for r in results]) would print, with the
            # JSON of remembered verdicts reused instead of re-encoded (see evaluate_json).
            line = compiled.evaluate_json(profile, when)
        except ProfileError as exc:
            _fail([f"{profiles.name}: {field}: {message}" for field, message in exc.errors.items()])
        click.echo(line)
