"""Messages the domain shows to people: Spanish in the code, translated when shown.

Domain modules hold no request, so they cannot pick a language when they raise
a refusal. They write ``_l("No existe la dependencia «%(slug)s».", slug=slug)``
instead: a :class:`Message` that remembers the Spanish text and its values and
becomes text only when it is used as text.

* ``str(message)`` (and so ``str(exc)``, f-strings, ``%s`` in logs, Jinja and
  Flask's JSON) gives the text in the language of the current request, through
  flask-babel; outside a request (CLI commands, the queue, tests without a
  client) it gives the Spanish source.
* :attr:`Message.source` and :func:`spanish` always give the Spanish text:
  what the audit trail and the database store, whoever reads it later.

Exceptions that carry a message keep the :class:`Message` and expose plain
``str`` attributes (``exc.message``, ``exc.reasons``), read in the language of
whoever is being answered (:class:`Refusal` is their base); anything stored goes
through :func:`spanish`.
``pybabel extract -k _l`` finds the texts; values use ``%(name)s``.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel.support import NullTranslations
from flask import g, has_request_context
from flask_babel import get_translations
from flask_babel.speaklater import LazyString


def _fill(text: str, values: dict[str, object]) -> str:
    # Like flask-babel's gettext: a text without values is not %-formatted.
    return text % values if values else text


def translations() -> NullTranslations:
    """The current request's translations, looked up once per request.

    flask-babel finds them again (context, locale, cache key) for every string;
    a page shows a hundred strings, so templates and :class:`Message` ask here.
    (Code that switches language inside a request, flask-babel's
    ``force_locale``, must drop ``g._translations`` too.)
    """
    found = g.get("_translations")
    if found is None:
        found = g._translations = get_translations()
    return found


def gettext(msgid: str, **values: object) -> str:
    """``msgid`` in the request's language (the Spanish source outside one)."""
    if not has_request_context():
        return _fill(msgid, values)
    return _fill(translations().ugettext(msgid), values)


def ngettext(singular: str, plural: str, n: int, **values: object) -> str:
    values.setdefault("num", n)
    if not has_request_context():
        return (singular if n == 1 else plural) % values
    return translations().ungettext(singular, plural, n) % values


def _shown(msgid: str, **values: object) -> str:
    return gettext(msgid, **values)


class Message(LazyString):
    """A Spanish text with its values, translated each time it becomes ``str``."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(_shown, msgid, **values)
        self.msgid = msgid
        self.values = values

    @property
    def source(self) -> str:
        """The Spanish text with its values filled in, whatever the language."""
        return _fill(self.msgid, self.values)


class Joined(Message):
    """Several texts shown as one (every reason of a refusal), each translated."""

    def __init__(self, texts: Iterable[Text], separator: str = " ") -> None:
        self.texts = list(texts)
        self.separator = separator
        LazyString.__init__(self, self._shown)

    def _shown(self) -> str:
        return self.separator.join(str(text) for text in self.texts)

    @property
    def source(self) -> str:
        return self.separator.join(spanish(text) for text in self.texts)


# A text shown to people: plain (names and texts that come from data) or a
# message of the code, translated when shown.
Text = str | Message


def _l(msgid: str, **values: object) -> Message:
    """Mark ``msgid`` (Spanish, ``%(name)s`` placeholders) for translation."""
    return Message(msgid, **values)


def spanish(text: Text) -> str:
    """The Spanish of ``text``: what the audit trail and the database keep."""
    return text.source if isinstance(text, Message) else str(text)


class Refusal(Exception):
    """What the domain refuses to do, said to people: ``text`` keeps the text as
    raised (a :class:`Message` or plain text), ``message`` reads it in the
    language of whoever is being answered."""

    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.text = message

    @property
    def message(self) -> str:
        return str(self.text)
