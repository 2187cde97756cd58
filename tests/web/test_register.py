"""Issue 15, item 7: one register. Every message addresses the person as *usted*.

Every interface text is extracted as ``pybabel extract`` does for translators
and searched for the forms of *tú* the portal used to slip into: the
possessive and object pronouns and the second-person verb forms of the
messages people read when something goes wrong.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]

TU = re.compile(
    r"\b(tú|tu|tus|ti|contigo|te)\b"
    r"|\b(puedes|tienes|quieres|debes|estás|eres|escribiste|hayas|subiste|elegiste)\b"
    r"|(^|[.;:¿¡]\s*)(Escribe|Revisa|Vuelve|Intenta|Elige|Sube|Usa|Toma|Guarda|"
    r"Selecciona|Ingresa|Verifica|Acude|Llena|Completa|Regresa|Contesta|Asegúrate|Inténtalo)\b"
    r"|;\s*(escribe|revisa|vuelve|intenta|elige|sube|usa|toma|guarda|espera)\b",
    re.IGNORECASE,
)
# Proper names from the catalog are not messages ("Mejora tu Vivienda").
NOT_MESSAGES = re.compile(r"Mejora tu Vivienda")


def _interface_texts(tmp_path) -> list[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "-o", str(template), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(template, "rb") as fh:
        texts = []
        for message in read_po(fh):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            texts.extend(i for i in ids if i)
    return texts


def test_the_register_check_catches_tu_and_lets_usted_through():
    for tu in (
        "Escribe tu CURP.",
        "La CURP debe tener 18 caracteres; escribiste 17.",
        "El archivo está vacío; vuelve a elegirlo.",
        "revise que lo hayas copiado",
        "Código QR de tu credencial",
    ):
        assert TU.search(tu), tu
    for usted in (
        "Escriba su CURP.",
        "La CURP debe tener 18 caracteres; usted escribió 17.",
        "El archivo está vacío; vuelva a elegirlo.",
        "La dependencia revisa sus documentos antes de aprobar un apoyo.",
        "Cada lengua la escribe una persona que la habla.",
        "La persona aún no sube el documento.",
    ):
        assert not TU.search(usted), usted


def test_every_interface_text_says_usted(tmp_path):
    texts = _interface_texts(tmp_path)
    assert len(texts) > 500
    offenders = [t for t in texts if TU.search(NOT_MESSAGES.sub("", t))]
    assert offenders == []
