"""``flask --app wsgi credential verify|export-public-key`` and
``flask --app wsgi recertification run``.

``verify`` needs no database: a delivery point without a connection checks a
scanned token (or the URL holding it) against the published public key. It
proves the portal issued the credential, not that it is still unused.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.delivery import credentials, recertification

cli = AppGroup("credential", help="Credenciales de entrega (códigos QR).")
recertification_cli = AppGroup(
    "recertification", help="Re-certificación: fechas, recordatorios y suspensiones."
)


@recertification_cli.command("run")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Fecha de la corrida (AAAA-MM-DD); hoy si se omite.",
)
def run_recertification(today) -> None:
    """What the queue does every morning: due dates missing, reminders, suspensions."""
    done = recertification.run_daily(today.date() if today else None)
    click.echo(f"fechas nuevas: {done.created}")
    click.echo(f"recordatorios: {done.reminded}")
    click.echo(f"suspendidas: {done.suspended}")


@cli.command("verify", with_appcontext=False)
@click.argument("token")
@click.option(
    "--public-key",
    "public_key_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Llave pública: PEM, JWK, el JSON de /.well-known/credenciales.json o base64.",
)
def verify(token: str, public_key_file: Path) -> None:
    """Check a credential's signature and expiry offline (exit 1 if refused)."""
    keys = _public_keys(public_key_file.read_text(encoding="utf-8"))
    for key in keys:
        try:
            claims = credentials.verify(credentials.token_from_url(token), key)
        except credentials.CredentialError as refused:
            # Another key of the set may have signed it; any other refusal is final.
            if refused.code == "bad_signature" and key is not keys[-1]:
                continue
            click.echo(f"rechazada: {refused.message}", err=True)
            sys.exit(1)
        click.echo("firma válida")
        click.echo(f"folio: {claims.folio}")
        click.echo(f"programa: {claims.program_id}")
        click.echo(f"credencial: {claims.credential_id}")
        click.echo(f"emitida: {claims.issued:%d/%m/%Y}")
        click.echo(f"vence: {claims.expires:%d/%m/%Y}" if claims.expires else "vence: nunca")
        click.echo("Sin conexión no se sabe si ya se entregó: confirme la entrega en el portal.")
        return


def _public_keys(text: str):
    """Every key in the file; a JWK set (during a key rotation) may hold several."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    try:
        if isinstance(document, dict) and isinstance(document.get("keys"), list):
            keys = [credentials.load_public_key(json.dumps(jwk)) for jwk in document["keys"]]
        else:
            keys = [credentials.load_public_key(text)]
    except credentials.CredentialKeyError as error:
        raise click.ClickException(f"la llave pública no sirve: {error}") from None
    if not keys:
        raise click.ClickException("la llave pública no sirve: el conjunto no trae ninguna llave")
    return keys


@cli.command("export-public-key")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["jwks", "pem"]),
    default="jwks",
    show_default=True,
)
def export_public_key(output_format: str) -> None:
    """Print the public key that checks the portal's credentials."""
    public_key = current_app.extensions["credential_private_key"].public_key()
    if output_format == "pem":
        click.echo(credentials.public_key_pem(public_key), nl=False)
    else:
        click.echo(json.dumps({"keys": [credentials.public_key_jwk(public_key)]}, indent=2))
