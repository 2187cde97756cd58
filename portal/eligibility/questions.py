"""The needs questionnaire: questions are data, and only what is still useful is asked.

Questions live in portal/eligibility/data/preguntas.yaml, one per answered profile field.
:func:`next_question` evaluates the answers so far and picks, among the fields
that still-undecided programs are waiting for, the one that the most of them
need; ties go to the question that comes first in the file. A field already in
the answers (including "No sé", stored as None) is never asked again.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from portal.catalog.geography import Municipality
from portal.catalog.schema import Program
from portal.eligibility.engine import CompiledCatalog, Status, evaluate
from portal.eligibility.profile import (
    ANSWERED_FIELDS,
    DEFAULT_STATE_CODE,
    DONT_KNOW,
    FIELDS,
    NONE_OF_THEM,
    AnswerError,
    Kind,
    parse_value,
    sources_of,
)
from portal.messages import _l
from portal.web.i18n import CONTENT_LANGUAGES, SOURCE_LANGUAGE, Localized, chain, pick

QUESTIONS_FILE = Path(__file__).parent / "data" / "preguntas.yaml"

# Which input fits which kind of field.
INPUT_KINDS = {
    "date": (Kind.DATE,),
    "number": (Kind.INTEGER, Kind.MONEY),
    "choice": (Kind.CHOICE,),
    "yes_no": (Kind.BOOLEAN,),
    "multi": (Kind.AGES,),
    "municipality": (Kind.MUNICIPALITY,),
}
YES_NO_OPTIONS = (("si", "Sí"), ("no", "No"))
DONT_KNOW_LABEL = "No sé"
MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


@dataclass(frozen=True)
class Option:
    value: str  # what the form posts
    label: str  # what the person reads


@dataclass(frozen=True)
class Question:
    field: str
    text: str
    input: str  # a key of INPUT_KINDS
    hint: str | None = None
    options: tuple[Option, ...] = ()  # for choice, yes_no and municipality
    dont_know: bool = False  # offer "No sé"
    none_label: str | None = None  # for multi: the answer "none of them"
    # Its texts in other languages: {"en": {"text", "hint", "none_label", "options": {value: label}}}.
    i18n: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict, hash=False)

    def localized(self, lang: str) -> Question:
        """The question with each text in the first language of ``lang``'s chain that
        has it, as :class:`portal.catalog.content.Localized` (Spanish otherwise)."""
        blocks = [(code, self.i18n.get(code)) for code in chain(lang) if code != SOURCE_LANGUAGE]
        labels = [(code, (texts or {}).get("options")) for code, texts in blocks]

        def text(spanish: str | None, key: str) -> Localized | None:
            return None if spanish is None else pick(spanish, blocks, key)

        return replace(
            self,
            text=pick(self.text, blocks, "text"),
            hint=text(self.hint, "hint"),
            none_label=text(self.none_label, "none_label"),
            options=tuple(replace(o, label=pick(o.label, labels, o.value)) for o in self.options),
        )

    def parse(self, raw: Any, *, on: date | None = None) -> Any:
        """The typed value of a form answer, or :class:`AnswerError` in plain Spanish.

        ``on`` is today's date, so that a birth date cannot be in the future.
        """
        if raw == DONT_KNOW:
            if not self.dont_know:
                raise AnswerError(_l("Elija o escriba una respuesta."))
            return None
        if isinstance(raw, str) and not raw.strip():
            raise AnswerError(_l("Responda la pregunta para continuar."))
        if self.input == "multi" and raw == NONE_OF_THEM and self.none_label is None:
            raise AnswerError(_l("Elija o escriba una respuesta."))
        if self.options and raw not in {o.value for o in self.options}:
            raise AnswerError(_l("Elija una de las opciones."))
        return parse_value(self.field, raw, on=on)

    def display(self, value: Any) -> str:
        """An answer as the person would say it, for the check-your-answers page:
        the portal's one reading of a value (:func:`portal.web.values.describe`),
        in this question's words (its options, its "none of them")."""
        from portal.web.values import describe

        options = {o.value: o.label for o in self.options}
        return describe(self.field, value, options=options, none_label=self.none_label)


class QuestionsError(ValueError):
    """A questions file that does not fit the profile fields."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def load_questions(
    municipalities: Sequence[Municipality], path: str | Path = QUESTIONS_FILE
) -> tuple[Question, ...]:
    """Read the questions; the municipality question offers ``municipalities``."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    name = Path(path).name
    problems: list[str] = []
    questions = []
    for i, item in enumerate(data.get("questions", [])):
        question = _question(item, f"{name}: questions[{i}]", municipalities, problems)
        if question is not None:
            questions.append(question)
    fields = [q.field for q in questions]
    for field in sorted({f for f in fields if fields.count(f) > 1}):
        problems.append(f"{name}: hay dos preguntas para «{field}»")
    if problems:
        raise QuestionsError(problems)
    return tuple(questions)


def _question(
    item: Mapping[str, Any],
    where: str,
    municipalities: Sequence[Municipality],
    problems: list[str],
) -> Question | None:
    if not isinstance(item, Mapping):
        problems.append(f"{where}: debe ser un conjunto de campos (clave: valor)")
        return None
    allowed = {"field", "text", "hint", "input", "options", "dont_know", "none_label", "i18n"}
    for key in set(item) - allowed:
        problems.append(f'{where}: clave desconocida "{key}"')
    field, kind_of_input = item.get("field"), item.get("input")
    if field not in ANSWERED_FIELDS or field == "enrolled":
        problems.append(f'{where}: field: "{field}" no es un dato que la persona responde')
        return None
    spec = FIELDS[field]
    if not isinstance(kind_of_input, str) or spec.kind not in INPUT_KINDS.get(kind_of_input, ()):
        problems.append(f'{where}: input: "{kind_of_input}" no sirve para {field}')
        return None
    if not isinstance(item.get("text"), str) or not item["text"].strip():
        problems.append(f"{where}: text: falta el texto de la pregunta")
        return None

    options: tuple[Option, ...] = ()
    if kind_of_input == "choice":
        options = tuple(Option(str(o["value"]), o["label"]) for o in item.get("options", []))
        if sorted(o.value for o in options) != sorted(spec.choices):
            problems.append(f"{where}: options: deben ser exactamente {', '.join(spec.choices)}")
    elif "options" in item:
        problems.append(f"{where}: options: solo las preguntas de tipo choice las llevan")
    if kind_of_input == "yes_no":
        options = tuple(Option(value, label) for value, label in YES_NO_OPTIONS)
    if kind_of_input == "municipality":
        options = tuple(Option(m.code, m.name) for m in municipalities)
    if "none_label" in item and kind_of_input != "multi":
        problems.append(f"{where}: none_label: solo las preguntas de tipo multi lo llevan")
    i18n = _translations(item, where, options if kind_of_input == "choice" else (), problems)
    return Question(
        field=field,
        text=item["text"].strip(),
        input=kind_of_input,
        hint=item.get("hint"),
        options=options,
        dont_know=bool(item.get("dont_know", False)),
        none_label=item.get("none_label"),
        i18n=i18n,
    )


QUESTION_LIMIT = 600  # the longest translated text of a question (its hint, mostly)


def _translations(
    item: Mapping[str, Any], where: str, options: Sequence[Option], problems: list[str]
) -> dict[str, dict[str, Any]]:
    """A question's ``i18n``: texts in other languages for what it has in Spanish."""
    data = item.get("i18n")
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        problems.append(f"{where}: i18n: debe ser un conjunto de idiomas (en: ...)")
        return {}
    found: dict[str, dict[str, Any]] = {}
    for code, texts in data.items():
        at = f"{where}: i18n.{code}"
        if code not in CONTENT_LANGUAGES:
            problems.append(f"{at}: idioma desconocido; use {', '.join(CONTENT_LANGUAGES)}")
            continue
        if not isinstance(texts, Mapping):
            problems.append(f"{at}: debe ser un conjunto de textos (text: ...)")
            continue
        language: dict[str, Any] = {}
        for key, value in texts.items():
            if key not in ("text", "hint", "none_label", "options"):
                problems.append(f'{at}: clave desconocida "{key}"')
            elif key != "options" and not item.get(key):
                problems.append(f"{at}.{key}: no hay texto en español que traducir")
            elif key == "options":
                labels = _option_labels(value, f"{at}.options", options, problems)
                if labels:
                    language["options"] = labels
            elif not isinstance(value, str) or not value.strip():
                problems.append(f"{at}.{key}: debe ser un texto no vacío")
            elif len(value.strip()) > QUESTION_LIMIT:
                problems.append(f"{at}.{key}: texto demasiado largo; a lo más {QUESTION_LIMIT}")
            else:
                language[key] = value.strip()
        if language:
            found[code] = language
    return found


def _option_labels(
    value: Any, at: str, options: Sequence[Option], problems: list[str]
) -> dict[str, str]:
    known = {o.value for o in options}
    if not isinstance(value, Mapping):
        problems.append(f"{at}: debe ser un conjunto valor: texto")
        return {}
    labels: dict[str, str] = {}
    for option, label in value.items():
        if str(option) not in known:
            problems.append(f'{at}: opción desconocida "{option}"')
        elif not isinstance(label, str) or not label.strip():
            problems.append(f"{at}.{option}: debe ser un texto no vacío")
        else:
            labels[str(option)] = label.strip()
    return labels


def next_question(
    answers: Mapping[str, Any],
    compiled_catalog: CompiledCatalog,
    on: date,
    *,
    questions: Sequence[Question],
    state_code: str = DEFAULT_STATE_CODE,
) -> Question | None:
    """The most useful question still to ask, or None when nothing more can be learned.

    ``answers`` is a typed profile (see :mod:`portal.eligibility.profile`). None comes back
    when every program is decided, or when the undecided ones only wait for
    answers already given as "No sé" or for fields without a question.
    """
    needed: Counter[str] = Counter()
    for result in evaluate(answers, compiled_catalog, on, state_code=state_code):
        if result.status is Status.MAYBE:
            needed.update(field for field in result.missing if field not in answers)
    askable = [q for q in questions if needed[q.field]]
    # max() keeps the first of equals, so the file's order breaks ties.
    return max(askable, key=lambda q: needed[q.field], default=None)


def check_coverage(questions: Iterable[Question], programs: Iterable[Program]) -> list[str]:
    """Problems that would leave the questionnaire unable to decide, or asking in vain.

    Every question must feed some rule, and every field a rule uses must be
    answerable by some question. An empty list means all is well.
    """
    asked = {q.field for q in questions}
    used: set[str] = set()
    problems = []
    for program in programs:
        for i, condition in enumerate(program.eligibility):
            for source in sources_of(condition.field):
                used.add(source)
                if source not in asked:
                    problems.append(
                        f'programa "{program.slug}": eligibility[{i}].field: '
                        f"{condition.field} necesita la pregunta «{source}», que no existe"
                    )
    for field in sorted(asked - used):
        problems.append(f"la pregunta «{field}» no alimenta ninguna regla del catálogo")
    return problems
