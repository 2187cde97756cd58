"""The one base form every form of the portal derives from (WTForms through flask-wtf)."""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from typing import Any

from babel import support
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice
from wtforms.i18n import messages_path

from portal.messages import gettext as _


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


# Drawing a field that nobody has typed into --------------------------------------
#
# A field is drawn by the ``field`` macro of templates/web/components/forms.html:
# label, hint, error and the input with its options. For a field that nobody has
# typed into (no submitted value, no error) the drawing depends only on the
# field's definition and data, the macro's arguments and the language, so the
# drawing is kept and reused: the back office's case page draws the same empty
# decision forms (a document checklist, the correction fields, the rejection
# reasons) for every case of a program, and drawing them through Jinja and
# WTForms' widgets was half of that page's CPU. A field that was submitted or
# has an error is always drawn anew.

FIELD_DRAWINGS = 2048  # drawings kept per process (each well under 4 KB)


def _choices_key(choices: Any) -> Any:
    # Plain values, not repr(): repr of twenty SelectChoice dataclasses costs
    # more than the drawing it would save.
    if not choices:
        return None
    if isinstance(choices, list | tuple) and all(isinstance(c, SelectChoice) for c in choices):
        return tuple(
            (c.value, str(c.label), c.optgroup, repr(c.render_kw) if c.render_kw else None)
            for c in choices
        )
    return repr(choices)


def _field_key(field: Any, *arguments: Any) -> tuple | None:
    if field.errors or field.raw_data:
        return None
    return (
        str(get_locale()),
        type(field),
        field.id,
        field.name,
        str(field.label.text),
        str(field.description),
        repr(field.data),
        _choices_key(getattr(field, "choices", None)),
        repr(sorted((field.render_kw or {}).items())),
        # The flags validators set (required, minlength...): repr(field.flags)
        # lists dir() and cost a tenth of the case page.
        repr(sorted(vars(field.flags).items())),
        repr(arguments),
    )


_drawings: OrderedDict[tuple, Any] = OrderedDict()
_drawings_lock = threading.Lock()


def draw_field(draw: Any, field: Any, *arguments: Any) -> Any:
    """``draw(field, *arguments)`` (the ``field_markup`` macro), reused for an
    untouched field drawn before with the same definition, data and language."""
    key = _field_key(field, *arguments)
    if key is None:
        return draw(field, *arguments)
    with _drawings_lock:
        drawing = _drawings.get(key)
        if drawing is not None:
            _drawings.move_to_end(key)
            return drawing
    drawing = draw(field, *arguments)
    with _drawings_lock:
        _drawings[key] = drawing
        if len(_drawings) > FIELD_DRAWINGS:
            _drawings.popitem(last=False)
    return drawing
