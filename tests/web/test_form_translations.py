"""WTForms' own messages follow the person's language, read once per process."""

from __future__ import annotations

from babel import support
from flask_babel import refresh
from wtforms import IntegerField

from portal.web import forms
from portal.web.forms import BaseForm
from portal.web.i18n import LANGUAGE_COOKIE


class _Count(BaseForm):
    class Meta:
        csrf = False

    count = IntegerField()


def _error(app, language: str) -> str:
    with app.test_request_context(
        "/",
        method="POST",
        data={"count": "tres"},
        headers={"Cookie": f"{LANGUAGE_COOKIE}={language}"},
    ):
        refresh()  # the fixture's app context outlives the request: forget its locale
        form = _Count()
        form.validate()
        return form.errors["count"][0]


def test_wtforms_messages_are_in_the_persons_language_and_loaded_once(app, monkeypatch):
    forms._wtforms_translations.cache_clear()
    loads = []
    real = support.Translations.load

    def counted(*args, **kwargs):
        loads.append(args[1] if len(args) > 1 else kwargs.get("locales"))
        return real(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted)
    assert _error(app, "es") == "No es un valor entero válido."
    assert _error(app, "es") == "No es un valor entero válido."
    assert _error(app, "en") == "Not a valid integer value."
    assert _error(app, "en") == "Not a valid integer value."
    # One load per language, not one per request (flask-wtf's own reads the file each time).
    assert len(loads) == 2
