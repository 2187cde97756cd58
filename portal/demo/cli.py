"""``flask --app wsgi demo-data``: everything a demo or a benchmark needs."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.appointments.demo import create_demo as appointments_demo
from portal.catalog import schema as catalog
from portal.catalog.store import load_catalog
from portal.demo import bulk_applications
from portal.demo import data as demo
from portal.territory import catalog as territory_catalog
from portal.transparency import builds as open_data_builds
from portal.vocabulary import ApplicationStatus


@click.command("demo-data")
@with_appcontext
@click.option(
    "--citizens",
    default=demo.DEFAULT_CITIZENS,
    show_default=True,
    help=f"Personas sintéticas; las primeras {demo.DEFAULT_CITIZENS:,} contestaron el "
    "cuestionario y algunas solicitan programas, el resto solo está en el registro.",
)
@click.option(
    "--applications",
    default=0,
    show_default=True,
    help="Solicitudes hechas en bloque (además de las de las personas que contestaron), "
    "de personas del registro: la base tendrá este número; otra ejecución no repite.",
)
@click.option("--seed", default=2026, show_default=True, help="Semilla: mismos datos cada vez.")
def demo_data(citizens: int, applications: int, seed: int) -> None:
    """Load the demo catalog, staff accounts, citizen personas and a synthetic population."""
    click.echo(f"municipios: {demo.load_municipalities()}")
    places = territory_catalog.load_seed()
    click.echo(f"localidades: {places.localities}, asentamientos: {places.settlements}")
    summary = load_catalog(catalog.load_catalog(demo.DATA / "catalogo-demo.yaml"))
    click.echo(
        f"programas: {len(summary.programs_created)} nuevos, "
        f"{len(summary.programs_updated)} actualizados, "
        f"{len(summary.programs_unchanged)} sin cambios"
    )
    staff = demo.create_staff()
    click.echo(f"personal (contraseña {demo.DEMO_PASSWORD}):")
    for account in staff:
        click.echo(f"  {account.email}  {account.role}")
    click.echo(f"personas de la llave digital nuevas: {demo.create_personas()}")
    click.echo(f"fechas del calendario de entregas: {demo.create_calendars()}")
    click.echo(f"horarios de citas en oficinas y puntos de entrega: {appointments_demo()}")
    started = time.perf_counter()
    counts = demo.generate_population(
        citizens, seed=seed, prefix=current_app.config["FOLIO_PREFIX"]
    )
    elapsed = time.perf_counter() - started
    steps = ", ".join(f"{counts[s]} {s}" for s in ApplicationStatus if counts.get(s))
    click.echo(
        f"población sintética: {counts['citizens']} personas nuevas, "
        f"{counts.get('applications', 0)} solicitudes ({steps or 'ninguna nueva'}), "
        f"{counts['enrollments']} inscripciones activas en {elapsed:.1f} s"
    )
    if counts.get("not_eligible"):
        click.echo(
            f"  {counts['not_eligible']} solicitudes planeadas no se hicieron: hoy no cumplen"
        )
    if applications:
        _bulk_applications(applications, seed)
    click.echo(f"programas con presupuesto, metas e indicadores: {demo.create_plans()}")
    # Statistics and open data are served from the queue's last build: make the
    # first one now, so a fresh portal shows them at once instead of "en preparación".
    report = open_data_builds.build(force=True)
    if report is not None:
        click.echo(f"estadísticas y datos abiertos: {len(report.written)} archivos")


def _bulk_applications(n: int, seed: int) -> None:
    def report(progress: bulk_applications.Progress) -> None:
        rate = progress.applications / progress.seconds if progress.seconds else 0
        click.echo(
            f"  {progress.applications:,} solicitudes, {progress.people_read:,} personas leídas, "
            f"{progress.seconds:.0f} s ({rate:,.0f}/s)"
        )

    started = time.perf_counter()
    counts = bulk_applications.generate(
        n, seed=seed, prefix=current_app.config["FOLIO_PREFIX"], progress=report
    )
    steps = ", ".join(f"{counts[s]} {s}" for s in ApplicationStatus if counts.get(s))
    click.echo(
        f"solicitudes en bloque: {counts.get('applications', 0)} nuevas "
        f"({steps or 'ninguna: ya estaban'}) de {counts.get('people', 0)} personas, "
        f"{counts.get('documents', 0)} documentos ({counts.get('bytes', 0) / 1e6:,.0f} MB "
        f"cifrados) en {time.perf_counter() - started:.1f} s"
    )
    if bulk_applications.bulk_count() < n:
        click.echo(f"  el registro no tiene más personas que puedan solicitar: faltan para {n}")
