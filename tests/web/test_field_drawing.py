"""An untouched field's drawing is reused; a typed or refused field is drawn anew."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import refresh
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.widgets import Select, TextInput

from portal.web import forms
from portal.web.forms import BaseForm
from portal.web.i18n import LANGUAGE_COOKIE

DRAW = '{% from "web/components/forms.html" import field %}{{ field(form.reason) }}{{ field(form.note) }}'


DRAWN: list[str] = []  # the fields whose widget ran, in order


class _Select(Select):
    def __call__(self, field, **kwargs):
        DRAWN.append(field.name)
        return super().__call__(field, **kwargs)


class _Text(TextInput):
    def __call__(self, field, **kwargs):
        DRAWN.append(field.name)
        return super().__call__(field, **kwargs)


class _Decision(BaseForm):
    class Meta:
        csrf = False

    reason = SelectField(
        "Motivo", choices=[SelectChoice("a", "Uno"), SelectChoice("b", "Dos")], widget=_Select()
    )
    note = StringField("Nota", validators=[DataRequired("Escriba la nota.")], widget=_Text())


def _macro_calls(app, method="GET", data=None, language="es", choices=None):
    """One drawing of the form, and the fields actually drawn (not reused) for it."""
    DRAWN.clear()
    with app.test_request_context(
        "/", method=method, data=data, headers={"Cookie": f"{LANGUAGE_COOKIE}={language}"}
    ):
        refresh()
        form = _Decision() if method == "POST" else _Decision(formdata=None)
        if choices is not None:
            form.reason.choices = choices
        if method == "POST":
            form.validate()
        html = render_template_string(DRAW, form=form)
    return html, list(DRAWN)


def test_an_untouched_field_is_drawn_once_and_reused(app, monkeypatch):
    forms._drawings.clear()
    first, calls = _macro_calls(app)
    assert calls == ["reason", "note"]
    again, calls = _macro_calls(app)
    assert again == first and calls == []
    assert 'value="b">Dos</option>' in first and 'for="note"' in first


def test_other_choices_or_another_language_are_another_drawing(app, monkeypatch):
    forms._drawings.clear()
    _macro_calls(app)
    html, calls = _macro_calls(app, choices=[SelectChoice("c", "Tres")])
    assert calls == ["reason"] and "Tres" in html and "Dos" not in html
    _, calls = _macro_calls(app, language="en")
    assert calls == ["reason", "note"]


def test_a_submitted_or_refused_field_is_always_drawn_anew(app, monkeypatch):
    forms._drawings.clear()
    data = {"reason": "b", "note": ""}
    first, calls = _macro_calls(app, method="POST", data=data)
    assert calls == ["reason", "note"]
    assert "Escriba la nota." in first and 'selected value="b"' in first
    _, calls = _macro_calls(app, method="POST", data=data)
    assert calls == ["reason", "note"]
    # And the untouched form still draws without the error.
    untouched, _ = _macro_calls(app)
    assert "Escriba la nota." not in untouched


def test_the_kept_drawings_are_bounded(app, monkeypatch):
    forms._drawings.clear()
    monkeypatch.setattr(forms, "FIELD_DRAWINGS", 3)
    for n in range(5):
        _macro_calls(app, choices=[SelectChoice(str(n), f"Opción {n}")])
    assert len(forms._drawings) == 3
