"""``flask storage new-key|rotate-key``."""

from __future__ import annotations

from portal.applications.documents import get_storage
from portal.applications.storage import KeyRing
from portal.models import Document
from tests.application_builders import submitted
from tests.factories import make_citizen, make_program


def test_new_key_prints_a_usable_entry(app):
    result = app.test_cli_runner().invoke(args=["storage", "new-key", "k2"])
    assert KeyRing.from_config(result.output.strip()).current_id == "k2"


def test_rotate_key_reencrypts_every_document_with_a_new_development_key(app):
    citizen = make_citizen()
    submitted(citizen, make_program(requirements=("a", "b")))
    before = get_storage().keyring.current_id
    result = app.test_cli_runner().invoke(args=["storage", "rotate-key"])
    assert result.exit_code == 0, result.output
    storage = get_storage()
    assert storage.keyring.current_id != before
    assert "2" in result.output
    for document in Document.select():
        assert storage.get(document.storage_key).startswith(b"%PDF")
    again = app.test_cli_runner().invoke(args=["storage", "rotate-key"])
    assert again.exit_code == 0


def test_rotate_key_uses_the_configured_keys(app):
    old = KeyRing.new_entry("viejo")
    app.config["STORAGE_KEYS"] = old
    app.extensions.pop("document_storage", None)
    citizen = make_citizen()
    submitted(citizen, make_program())
    app.config["STORAGE_KEYS"] = f"{KeyRing.new_entry('nuevo')},{old}"
    app.extensions.pop("document_storage", None)
    result = app.test_cli_runner().invoke(args=["storage", "rotate-key"])
    assert "llave nuevo: 1" in result.output
    app.config["STORAGE_KEYS"] = (
        KeyRing.new_entry("otro") + "," + app.config["STORAGE_KEYS"].split(",")[0]
    )
    app.extensions.pop("document_storage", None)
    document = Document.get()
    assert get_storage().get(document.storage_key).startswith(b"%PDF")
