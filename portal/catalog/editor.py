"""The guided program editor: a program in form fields and repeatable rows, no YAML.

The form builds the same catalog-file dict a YAML file holds (docs/catalog.md)
and hands it to :func:`portal.catalog.schema.program_from_dict`: there is one
validator. What the form itself checks is only what a form must turn from text
into a value of the field's kind (a number, a date, a list of municipalities);
everything else the catalog's validator says, and :func:`place_problems` puts
each of its problems on the form field its path names
(``eligibility[1].value`` → the value of condition 2).

Rows (population conditions, documents, calls, delivery points) are added and
removed with plain submit buttons, so the editor works without JavaScript:
``action=agregar-<list>`` adds an empty row, ``action=quitar-<list>-<n>`` drops
row *n* (:func:`without_row`), ``action=actualizar`` redraws the rows (a
condition shows the value inputs of the field chosen).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.catalog.geography import load_state
from portal.catalog.schema import (
    BENEFIT_KINDS,
    DOCUMENT_FORMATS,
    OPERATORS_BY_KIND,
    PERIODS,
    VERDICTS,
    CatalogError,
    Problem,
    failing_examples,
    program_from_dict,
)
from portal.eligibility.profile import (
    ANSWERED_FIELDS,
    DONT_KNOW,
    FIELDS,
    NONE_OF_THEM,
    RULE_FIELDS,
    SLUG_RE,
    STATE_CODES,
    Kind,
)
from portal.messages import _l
from portal.web import values
from portal.web.forms import BaseForm, strip

STALE_FORM = _l("El formulario caducó. Vuelva a abrirlo.")

# The repeatable lists: form field name → catalog-file key.
ROW_LISTS = {
    "conditions": "eligibility",
    "requirements": "requirements",
    "calls": "calls",
    "points": "delivery_points",
    "examples": "examples",
}
MAX_ROWS = 60  # rows per list: more is a mistake, not a program

OPERATOR_LABELS = {
    "eq": _l("es igual a"),
    "ne": _l("es distinto de"),
    "in": _l("es uno de"),
    "not_in": _l("no es ninguno de"),
    "lt": _l("es menor que"),
    "lte": _l("es menor o igual que"),
    "gt": _l("es mayor que"),
    "gte": _l("es mayor o igual que"),
    "between": _l("está entre"),
    "any_lt": _l("tiene alguna hija o hijo menor de (años)"),
    "any_gte": _l("tiene alguna hija o hijo de (años) o más"),
    "is_true": _l("sí"),
    "is_false": _l("no"),
}
FORMAT_LABELS = {"pdf": "PDF", "jpg": "JPG", "png": "PNG"}
BENEFIT_LABELS = {"cash": _l("Dinero"), "in_kind": _l("En especie"), "service": _l("Servicio")}
# Kinds whose values are picked from a list rather than typed.
PICKED_KINDS = (Kind.CHOICE, Kind.STATE, Kind.MUNICIPALITY)
LIST_OPERATORS = ("in", "not_in")


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _too_long(limit: int) -> Length:
    return Length(max=limit, message=_l("Escriba a lo más %(max)d caracteres.", max=limit))


def field_label(name: str) -> str:
    label = FIELDS[name].label
    return label[:1].upper() + label[1:]


def municipality_choices() -> list[SelectChoice]:
    return [SelectChoice(m.code, m.name) for m in load_state().municipalities]


def picked_choices(field: str) -> list[SelectChoice]:
    """The values a condition on ``field`` picks from (empty for typed kinds)."""
    spec = FIELDS.get(field)
    if spec is None:
        return []
    if spec.kind is Kind.MUNICIPALITY:
        return municipality_choices()
    if spec.kind is Kind.STATE:
        return [SelectChoice(code, values.state_name(code)) for code in STATE_CODES]
    if spec.kind is Kind.CHOICE:
        return [SelectChoice(c, values.value_label(field, c)) for c in spec.choices]
    return []


def _bind_stripped(meta: Any, form: Any, unbound_field: Any, options: dict[str, Any]) -> Any:
    """Bind a field that strips what is typed around it, as every portal form does
    (lists take no filters: their rows' fields strip)."""
    if unbound_field.field_class in (FieldList, FormField):
        return unbound_field.bind(form=form, **options)
    filters = unbound_field.kwargs.get("filters", [])
    if strip not in filters:
        filters = [strip, *filters]
    return unbound_field.bind(form=form, filters=filters, **options)


class _Row(Form):
    """A row of a list; rows have no CSRF token of their own (the page form has one)."""

    class Meta:
        bind_field = _bind_stripped


class ConditionRow(_Row):
    field = SelectField(
        _l("Dato de la persona"),
        choices=[SelectChoice(name, field_label(name)) for name in RULE_FIELDS],
        validate_choice=False,
    )
    op = SelectField(
        _l("Condición"),
        choices=[SelectChoice(op, label) for op, label in OPERATOR_LABELS.items()],
        validate_choice=False,
    )
    value = StringField(_l("Valor"), validators=[Optional(), _too_long(400)])
    value_to = StringField(_l("Hasta"), validators=[Optional(), _too_long(40)])
    options = MultiCheckboxField(_l("Valores"), choices=[], validate_choice=False)
    reason = TextAreaField(
        _l("Razón en palabras sencillas"),
        description=_l("Lo que lee la persona, por ejemplo: «Tener de 18 a 64 años»."),
        validators=[DataRequired(_l("Escriba la razón que lee la persona.")), _too_long(400)],
    )

    def kind(self) -> Kind | None:
        spec = FIELDS.get(self.field.data or "")
        return spec.kind if spec else None

    def inputs(self) -> tuple[str, ...]:
        """Which value inputs this row shows, for its field and operator."""
        kind, op = self.kind(), self.op.data
        if kind is None or op in ("is_true", "is_false") or kind is Kind.BOOLEAN:
            return ()
        if kind in PICKED_KINDS:
            return ("options",)
        if op == "between":
            return ("value", "value_to")
        return ("value",)

    def operators(self) -> tuple[str, ...]:
        kind = self.kind()
        return OPERATORS_BY_KIND[kind] if kind else tuple(OPERATOR_LABELS)


class RequirementRow(_Row):
    name = StringField(
        _l("Documento"),
        validators=[DataRequired(_l("Escriba el nombre del documento.")), _too_long(200)],
    )
    slug = StringField(
        _l("Clave del documento"),
        description=_l("Minúsculas y guiones, por ejemplo: comprobante-domicilio."),
        validators=[DataRequired(_l("Escriba la clave del documento."))],
    )
    formats = MultiCheckboxField(
        _l("Formatos que acepta"),
        choices=[SelectChoice(f, FORMAT_LABELS[f]) for f in DOCUMENT_FORMATS],
        validate_choice=False,
    )
    hint = TextAreaField(_l("Indicación"), validators=[Optional(), _too_long(600)])
    optional = BooleanField(_l("Es opcional"))


class CallRow(_Row):
    opens = StringField(_l("Abre el"), validators=[DataRequired(_l("Escriba la fecha."))])
    closes = StringField(_l("Cierra el"), validators=[DataRequired(_l("Escriba la fecha."))])
    quota = StringField(
        _l("Lugares"), description=_l("Déjelo vacío si no hay límite."), validators=[Optional()]
    )


class PointRow(_Row):
    name = StringField(
        _l("Nombre del punto"),
        validators=[DataRequired(_l("Escriba el nombre del punto.")), _too_long(200)],
    )
    address = StringField(
        _l("Domicilio"), validators=[DataRequired(_l("Escriba el domicilio.")), _too_long(400)]
    )
    municipality = SelectField(_l("Municipio"), choices=[], validate_choice=False)
    lat = StringField(_l("Latitud"), validators=[DataRequired(_l("Escriba la latitud."))])
    lon = StringField(_l("Longitud"), validators=[DataRequired(_l("Escriba la longitud."))])
    hours = StringField(
        _l("Horario"), validators=[DataRequired(_l("Escriba el horario.")), _too_long(200)]
    )


# The answers an example person gives, in the questionnaire's order.
EXAMPLE_FIELDS = tuple(name for name in ANSWERED_FIELDS if name != "enrolled")
BOOLEAN_ANSWERS = [SelectChoice("si", _l("Sí")), SelectChoice("no", _l("No"))]


def _answer_field(name: str) -> Any:
    """The input of one answer of an example: blank means not answered."""
    spec = FIELDS[name]
    label = field_label(name)
    dont_know = SelectChoice(DONT_KNOW, _l("No sé"))
    blank = SelectChoice("", _l("(sin responder)"))
    if spec.kind is Kind.BOOLEAN:
        return SelectField(
            label, choices=[blank, *BOOLEAN_ANSWERS, dont_know], validate_choice=False
        )
    if spec.kind is Kind.CHOICE:
        return SelectField(
            label,
            choices=[blank, *(SelectChoice(c, c) for c in spec.choices), dont_know],
            validate_choice=False,
        )
    if spec.kind is Kind.MUNICIPALITY:
        return SelectField(
            label, choices=[blank, *municipality_choices(), dont_know], validate_choice=False
        )
    hint = {
        Kind.DATE: _l("AAAA-MM-DD."),
        Kind.AGES: _l("Edades separadas por comas; «ninguno» si no tiene."),
    }.get(spec.kind)
    return StringField(label, description=hint, validators=[Optional(), _too_long(100)])


class ExampleRow(_Row):
    name = StringField(
        _l("Nombre del ejemplo"),
        description=_l("Por ejemplo: «Señora de 70 años en Amealco»."),
        validators=[DataRequired(_l("Escriba un nombre para el ejemplo.")), _too_long(200)],
    )
    verdict = SelectField(
        _l("Resultado que debe dar"),
        choices=[SelectChoice(k, v) for k, v in VERDICTS.items()],
        validate_choice=False,
    )
    on = StringField(
        _l("Fecha de la evaluación"),
        description=_l("Déjela vacía para evaluar con la fecha del día."),
        validators=[Optional()],
    )

    def answers(self) -> dict[str, str]:
        return {name: self[name].data for name in EXAMPLE_FIELDS if self[name].data}


for _name in EXAMPLE_FIELDS:
    setattr(ExampleRow, _name, _answer_field(_name))  # FormMeta registers each field


class ProgramEditorForm(BaseForm):
    """A whole program. ``slug`` and ``agency`` are used only when creating one."""

    class Meta:
        bind_field = _bind_stripped

    version = HiddenField()
    slug = StringField(
        _l("Clave del programa"),
        description=_l("Va en la dirección de la página: minúsculas y guiones, sin acentos."),
        validators=[
            Optional(),
            Regexp(SLUG_RE.pattern, message=_l("Use minúsculas, números y guiones.")),
        ],
    )
    agency = SelectField(_l("Dependencia"), choices=[], validate_choice=False)
    name = StringField(
        _l("Nombre del programa"),
        validators=[DataRequired(_l("Escriba el nombre.")), _too_long(200)],
    )
    summary = TextAreaField(
        _l("Resumen"), validators=[DataRequired(_l("Escriba el resumen.")), _too_long(600)]
    )
    description = TextAreaField(_l("Descripción"), validators=[Optional(), _too_long(4000)])
    population = TextAreaField(
        _l("Para quién es"),
        validators=[DataRequired(_l("Diga para quién es.")), _too_long(600)],
    )
    exclusion_group = SelectField(
        _l("Grupo de exclusión"),
        description=_l("Programas del mismo grupo no se pueden recibir a la vez."),
        choices=[],
        validate_choice=False,
    )
    new_exclusion_group = StringField(
        _l("O un grupo nuevo"),
        description=_l("Solo si ninguno de la lista sirve: minúsculas y guiones."),
        validators=[Optional()],
    )
    benefit_kind = SelectField(
        _l("Tipo de apoyo"),
        choices=[SelectChoice(k, BENEFIT_LABELS[k]) for k in BENEFIT_KINDS],
    )
    benefit_amount = StringField(
        _l("Monto en pesos por periodo"), description=_l("Solo para apoyos en dinero.")
    )
    benefit_period = SelectField(
        _l("Periodicidad"),
        choices=[SelectChoice("", _l("(sin periodo)"))]
        + [SelectChoice(k, v) for k, v in PERIODS.items()],
    )
    benefit_description = TextAreaField(
        _l("Qué se entrega"), validators=[Optional(), _too_long(600)]
    )
    conditions = FieldList(FormField(ConditionRow), max_entries=MAX_ROWS)
    requirements = FieldList(FormField(RequirementRow), max_entries=MAX_ROWS)
    calls = FieldList(FormField(CallRow), max_entries=MAX_ROWS)
    points = FieldList(FormField(PointRow), max_entries=MAX_ROWS)
    examples = FieldList(FormField(ExampleRow), max_entries=MAX_ROWS)

    def offer(self, *, groups: Iterable[str], agencies: Iterable[tuple[str, str]] = ()) -> None:
        """Set the choices that depend on the registry: groups, agencies, municipalities."""
        self.exclusion_group.choices = [SelectChoice("", _l("(ninguno)"))] + [
            SelectChoice(g, g) for g in sorted(set(groups))
        ]
        self.agency.choices = [SelectChoice(slug, name) for slug, name in agencies]
        places = municipality_choices()
        for row in self.points:
            row.form.municipality.choices = places
        for entry in self.conditions:
            condition: ConditionRow = entry.form
            if not condition.field.data:
                # A new row shows the first field: it offers that field's operators.
                condition.field.data = RULE_FIELDS[0]
            condition.options.choices = picked_choices(condition.field.data)
            offered = list(condition.operators())
            if condition.op.data and condition.op.data not in offered:
                offered.append(condition.op.data)  # kept, so the refusal names what was posted
            condition.op.choices = [SelectChoice(op, OPERATOR_LABELS.get(op, op)) for op in offered]

    def fit_operators(self) -> None:
        """On a redraw, a condition whose operator does not fit its (new) field
        takes the field's first operator, and the value inputs that go with it."""
        for entry in self.conditions:
            condition: ConditionRow = entry.form
            allowed = condition.operators()
            if condition.kind() is not None and condition.op.data not in allowed:
                condition.op.data = allowed[0]


class SendBackForm(BaseForm):
    """What a reviewer asks the agency to change in a draft."""

    note = TextAreaField(
        _l("Qué debe cambiar"),
        validators=[DataRequired(_l("Escriba qué debe cambiar.")), _too_long(2000)],
    )


# Rows added and removed without JavaScript -----------------------------------------

_ACTION_RE = re.compile(
    r"^(agregar|quitar)-(conditions|requirements|calls|points|examples)(?:-(\d{1,3}))?$"
)


def row_action(action: str) -> tuple[str, str, int | None] | None:
    """``("agregar", list, None)``, ``("quitar", list, n)`` or None for another button."""
    m = _ACTION_RE.match(action or "")
    if m is None or (m[1] == "quitar") != (m[3] is not None):
        return None
    return m[1], m[2], int(m[3]) if m[3] is not None else None


# The button htmx posts when a condition's field or operator changes: redraw the conditions.
REDRAW_CONDITIONS = "valores"
# The input that takes the focus in a row just added.
FIRST_INPUTS = {
    "conditions": "field",
    "requirements": "name",
    "calls": "opens",
    "points": "name",
    "examples": "name",
}


@dataclass(frozen=True)
class RowChange:
    """What a row button did: the list redrawn, the id of the element that takes
    the focus and the sentence announced (to screen readers, in a live region)."""

    list_name: str
    focus: str
    said: str


def apply_row_action(
    form: ProgramEditorForm, row: tuple[str, str, int | None], *, removed: bool = True
) -> RowChange:
    """Add the empty row ``row`` asks for (the removal is in the posted data,
    :func:`without_row`; ``removed`` says whether the row was there) and say what
    changed: after an addition the new row's first input takes the focus, after
    a removal the list's add button."""
    verb, list_name, index = row
    rows = form[list_name]
    add_button = f"agregar-{list_name}"
    if verb == "agregar":
        if len(rows.entries) >= MAX_ROWS:
            return RowChange(
                list_name, add_button, str(_l("No se pueden agregar más filas a esta lista."))
            )
        rows.append_entry()
        n = len(rows.entries)
        first = f"{list_name}-{n - 1}-{FIRST_INPUTS[list_name]}"
        return RowChange(
            list_name, first, str(_l("Se agregó: %(row)s.", row=ROW_NAMES[list_name](n)))
        )
    assert index is not None
    if not removed:
        return RowChange(list_name, add_button, "")
    return RowChange(
        list_name,
        add_button,
        str(
            _l(
                "Se quitó: %(row)s. Quedan %(left)d; las siguientes cambiaron de número.",
                row=ROW_NAMES[list_name](index + 1),
                left=len(rows.entries),
            )
        ),
    )


def without_row(formdata: MultiDict[str, str], list_name: str, index: int) -> MultiDict[str, str]:
    """``formdata`` with row ``index`` of ``list_name`` dropped and later rows renumbered."""
    pattern = re.compile(rf"^{list_name}-(\d+)-(.+)$")
    kept: MultiDict[str, str] = MultiDict()
    for key, value in formdata.items(multi=True):
        m = pattern.match(key)
        if m is None:
            kept.add(key, value)
            continue
        n = int(m[1])
        if n == index:
            continue
        kept.add(f"{list_name}-{n - 1 if n > index else n}-{m[2]}", value)
    return kept


# From the form to the catalog-file dict ----------------------------------------------


def _fail(field: Any, message: Any) -> None:
    """Add ``message`` to ``field``'s errors (a field not yet validated holds a tuple)."""
    if not isinstance(field.errors, list):
        field.errors = list(field.errors)
    field.errors.append(message)


def _number(text: str) -> int | float | None:
    """A number as people type it (``1,500``, ``$ 2 000.50``), or None."""
    cleaned = re.sub(r"[\s$,]", "", text or "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", cleaned):
        return None
    return float(cleaned) if "." in cleaned else int(cleaned)


def _typed(kind: Kind, text: str) -> tuple[Any, Any]:
    """(value, None) or (None, message) for one typed value of ``kind``."""
    if kind in (Kind.INTEGER, Kind.AGES):
        number = _number(text)
        if not isinstance(number, int):
            return None, _l("Escriba un número entero, sin letras.")
        return number, None
    if kind is Kind.MONEY:
        number = _number(text)
        if number is None or number < 0:
            return None, _l("Escriba una cantidad en pesos, por ejemplo 3500.")
        return number, None
    if kind is Kind.DATE:
        try:
            return date.fromisoformat(text).isoformat(), None
        except ValueError:
            return None, _l("Escriba la fecha como AAAA-MM-DD, por ejemplo 2026-01-15.")
    return text, None


def _condition_value(row: ConditionRow) -> tuple[Any, bool]:
    """The row's value in catalog-file shape and whether it has one; errors go on the row."""
    kind, op = row.kind(), row.op.data
    if kind is None or op in ("is_true", "is_false"):
        return None, False
    if kind in PICKED_KINDS:
        picked = [v for v in row.options.data or [] if v]
        if op in LIST_OPERATORS:
            return picked, True
        if len(picked) != 1:
            _fail(row.options, _l("Elija un solo valor."))
            return None, True
        return picked[0], True
    if op == "between":
        low, low_error = _typed(kind, row.value.data or "")
        high, high_error = _typed(kind, row.value_to.data or "")
        if low_error:
            _fail(row.value, low_error)
        if high_error:
            _fail(row.value_to, high_error)
        return [low, high], True
    if op in LIST_OPERATORS:
        parts = [p.strip() for p in (row.value.data or "").split(",") if p.strip()]
        values = []
        for part in parts:
            value, error = _typed(kind, part)
            if error:
                _fail(
                    row.value,
                    _l(
                        "«%(part)s»: %(error)s Separe los valores con comas.",
                        part=part,
                        error=error,
                    ),
                )
                return None, True
            values.append(value)
        return values, True
    value, error = _typed(kind, row.value.data or "")
    if error:
        _fail(row.value, error)
    return value, True


def program_dict(form: ProgramEditorForm, *, slug: str, agency: str) -> dict[str, Any]:
    """The form as a catalog-file program. Values that are not of their field's kind
    get a message on their field (``form.errors`` then says the save must stop)."""
    benefit: dict[str, Any] = {"kind": form.benefit_kind.data}
    if form.benefit_amount.data:
        amount = _number(form.benefit_amount.data)
        if not isinstance(amount, int):
            _fail(form.benefit_amount, _l("Escriba el monto en pesos enteros, por ejemplo 3000."))
        benefit["amount"] = amount
    if form.benefit_period.data:
        benefit["period"] = form.benefit_period.data
    if form.benefit_description.data:
        benefit["description"] = form.benefit_description.data
    data: dict[str, Any] = {
        "slug": slug,
        "agency": agency,
        "name": form.name.data,
        "summary": form.summary.data,
        "population": form.population.data,
        "benefit": benefit,
    }
    if form.description.data:
        data["description"] = form.description.data
    group = form.new_exclusion_group.data or form.exclusion_group.data
    if group:
        data["exclusion_group"] = group
    conditions = []
    for entry in form.conditions:
        row: ConditionRow = entry.form
        condition: dict[str, Any] = {
            "field": row.field.data,
            "op": row.op.data,
            "reason": row.reason.data,
        }
        value, has_value = _condition_value(row)
        if has_value:
            condition["value"] = value
        conditions.append(condition)
    data["eligibility"] = conditions
    data["requirements"] = [
        {
            "slug": r.form.slug.data,
            "name": r.form.name.data,
            "formats": list(r.form.formats.data or []),
            **({"hint": r.form.hint.data} if r.form.hint.data else {}),
            **({"optional": True} if r.form.optional.data else {}),
        }
        for r in form.requirements
    ]
    calls = []
    for entry in form.calls:
        call: CallRow = entry.form
        item: dict[str, Any] = {}
        for name in ("opens", "closes"):
            value, error = _typed(Kind.DATE, call[name].data or "")
            if error and call[name].data:
                _fail(call[name], error)
            item[name] = value
        if call.quota.data:
            quota = _number(call.quota.data)
            if not isinstance(quota, int):
                _fail(call.quota, _l("Escriba un número entero de lugares."))
            item["quota"] = quota
        calls.append(item)
    data["calls"] = calls
    points = []
    for entry in form.points:
        point: PointRow = entry.form
        item = {
            "name": point.name.data,
            "address": point.address.data,
            "municipality": point.municipality.data,
            "hours": point.hours.data,
        }
        for name in ("lat", "lon"):
            number = _number(point[name].data or "")
            if number is None and point[name].data:
                _fail(point[name], _l("Escriba un número, por ejemplo 20.5888."))
            item[name] = number
        points.append(item)
    data["delivery_points"] = points
    examples = []
    for entry in form.examples:
        example: ExampleRow = entry.form
        item = {
            "name": example.name.data,
            "verdict": example.verdict.data,
            "profile": example.answers(),
        }
        if example.on.data:
            item["on"] = example.on.data
        examples.append(item)
    if examples:
        data["examples"] = examples
    return data


def form_data(program: Mapping[str, Any]) -> dict[str, Any]:
    """A catalog-file program as the editor form's data (the inverse of program_dict)."""
    benefit = program.get("benefit") or {}
    amount = benefit.get("amount")
    conditions = []
    for c in program.get("eligibility") or []:
        spec = FIELDS.get(c.get("field", ""))
        value = c.get("value")
        row: dict[str, Any] = {
            "field": c.get("field"),
            "op": c.get("op"),
            "reason": c.get("reason"),
            "value": "",
            "value_to": "",
            "options": [],
        }
        if spec is not None and spec.kind in PICKED_KINDS:
            row["options"] = list(value) if isinstance(value, list | tuple) else [value]
        elif c.get("op") == "between" and isinstance(value, list | tuple):
            row["value"], row["value_to"] = (_text(v) for v in value)
        elif isinstance(value, list | tuple):
            row["value"] = ", ".join(_text(v) for v in value)
        elif value is not None:
            row["value"] = _text(value)
        conditions.append(row)
    examples = [
        {
            "name": e.get("name"),
            "verdict": e.get("verdict"),
            "on": _text(e.get("on")),
            **{k: _answer_text(v) for k, v in (e.get("profile") or {}).items()},
        }
        for e in program.get("examples") or []
    ]
    return {
        "examples": examples,
        "slug": program.get("slug", ""),
        "agency": program.get("agency", ""),
        "name": program.get("name", ""),
        "summary": program.get("summary", ""),
        "description": program.get("description", ""),
        "population": program.get("population", ""),
        "exclusion_group": program.get("exclusion_group") or "",
        "benefit_kind": benefit.get("kind", "cash"),
        "benefit_amount": "" if amount is None else str(amount),
        "benefit_period": benefit.get("period") or "",
        "benefit_description": benefit.get("description") or "",
        "conditions": conditions,
        "requirements": [
            {
                "slug": r.get("slug"),
                "name": r.get("name"),
                "formats": list(r.get("formats") or []),
                "hint": r.get("hint") or "",
                "optional": bool(r.get("optional")),
            }
            for r in program.get("requirements") or []
        ],
        "calls": [
            {
                "opens": _text(c.get("opens")),
                "closes": _text(c.get("closes")),
                "quota": "" if c.get("quota") is None else str(c["quota"]),
            }
            for c in program.get("calls") or []
        ],
        "points": [
            {
                "name": p.get("name"),
                "address": p.get("address"),
                "municipality": p.get("municipality"),
                "lat": _text(p.get("lat")),
                "lon": _text(p.get("lon")),
                "hours": p.get("hours"),
            }
            for p in program.get("delivery_points") or []
        ],
    }


def _answer_text(value: Any) -> str:
    """A stored answer as the example's input shows it (what parse_value reads back)."""
    if value is None:
        return DONT_KNOW
    if isinstance(value, bool):
        return "si" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) if value else NONE_OF_THEM
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


ROW_NAMES = {
    "conditions": lambda n: _l("Condición %(n)d", n=n),
    "requirements": lambda n: _l("Documento %(n)d", n=n),
    "calls": lambda n: _l("Convocatoria %(n)d", n=n),
    "points": lambda n: _l("Punto de entrega %(n)d", n=n),
    "examples": lambda n: _l("Ejemplo %(n)d", n=n),
}


def error_links(form: ProgramEditorForm) -> list[tuple[str, str]]:
    """(input id, message) of every field with an error, rows included, in page order."""
    links: list[tuple[str, str]] = []
    for f in form:
        if isinstance(f, FieldList):
            for n, entry in enumerate(f.entries, 1):
                for sub in entry.form:
                    if sub.errors and isinstance(sub.errors, list):
                        label = ROW_NAMES[f.name](n)
                        links.append((sub.id, f"{label}, {sub.label.text}: {sub.errors[0]}"))
        elif f.errors:
            message = STALE_FORM if f.name in ("csrf_token", "version") else f.errors[0]
            links.append((f.id, str(message)))
    return links


# The catalog validator's problems, on the fields they name -----------------------------

_PATH_RE = re.compile(
    r"^(eligibility|requirements|calls|delivery_points|examples)\[(\d+)\]"
    r"(?:\.(?:profile\.)?(\w+))?"
)
_LIST_FIELDS = {v: k for k, v in ROW_LISTS.items()}
_TOP_FIELDS = {
    "slug": "slug",
    "agency": "agency",
    "name": "name",
    "summary": "summary",
    "description": "description",
    "population": "population",
    "exclusion_group": "new_exclusion_group",
    "benefit.kind": "benefit_kind",
    "benefit.amount": "benefit_amount",
    "benefit.period": "benefit_period",
    "benefit.description": "benefit_description",
    "benefit": "benefit_kind",
}


def place_problems(form: ProgramEditorForm, error: CatalogError) -> list[str]:
    """Put each problem on the field its path names; return those that name none."""
    rest: list[str] = []
    for problem in error.problems:
        target = _field_for(form, problem)
        if target is None:
            rest.append(f"{problem.path}: {problem.message}" if problem.path else problem.message)
        else:
            _fail(target, problem.message)
    return rest


def _field_for(form: ProgramEditorForm, problem: Problem) -> Any:
    path = problem.path
    m = _PATH_RE.match(path)
    if m is not None:
        rows = form[_LIST_FIELDS[m[1]]]
        index, key = int(m[2]), m[3]
        if index >= len(rows.entries):
            return None
        row = rows.entries[index].form
        if m[1] == "eligibility" and key == "value":
            inputs = row.inputs()
            key = inputs[0] if inputs else "op"
        if key is None or key not in row:
            key = {"eligibility": "field", "requirements": "name", "calls": "opens"}.get(
                m[1], "name"
            )
        return row[key]
    name = _TOP_FIELDS.get(path)
    if name == "new_exclusion_group" and not form.new_exclusion_group.data:
        name = "exclusion_group"
    return form[name] if name else None


# The examples, run on every change ------------------------------------------------------


def example_results(
    data: dict[str, Any], agency: str, today: date
) -> list[tuple[str, str, str, bool]] | None:
    """(name, verdict it must get, verdict it gets, whether they agree) of each
    example under the rules of ``data`` (the draft), or None while the draft does
    not validate (its problems are shown on the fields)."""
    try:
        program = program_from_dict(data, agencies=[agency], run_examples=False)
    except CatalogError:
        return None
    failed = {i: got for i, _example, got in failing_examples(program, today)}
    return [
        (e.name, VERDICTS[e.verdict], VERDICTS[failed.get(i, e.verdict)], i not in failed)
        for i, e in enumerate(program.examples)
    ]
