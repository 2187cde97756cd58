"""The one base form every form of the portal derives from (WTForms through flask-wtf)."""

from __future__ import annotations

import functools
from typing import Any

from babel import support
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


def strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


@functools.cache
def _wtforms_translations(locale: str) -> support.NullTranslations:
    """WTForms' own messages in ``locale``, read once per process (flask-wtf
    reads the catalog from disk on every request that builds a form)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class BaseForm(FlaskForm):
    """Whitespace people paste around what they type is never meaningful: every
    field strips it before its validators run."""

    class Meta:
        def get_translations(self, form):
            return _wtforms_translations(str(get_locale()))

        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", [])
            if strip not in filters:
                filters = [strip, *filters]
            return unbound_field.bind(form=form, filters=filters, **options)

    def error_text(self) -> str:
        """Every error of the form in one line, for a page that shows it as a notice.

        A missing or stale CSRF token is said in Spanish, as the error summary says it.
        """
        return " ".join(
            _("El formulario caducó. Vuelva a enviarlo.") if name == "csrf_token" else str(error)
            for name, errors in self.errors.items()
            for error in errors
        )
