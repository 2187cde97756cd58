"""What a "maybe" still needs before applying: the answers to ask on the way.

The engine says, for a program it cannot decide yet, which answered fields it
waits for (``Result.missing``, see :mod:`portal.eligibility.engine`), including
those answered "No sé". Applying to such a program first asks exactly those,
one per page (``/cuestionario/para-solicitar/<slug>``, portal/eligibility/views.py),
then continues the application. Each field is asked at most once per pass, so
a person who answers "No sé" again is never caught in a loop: the application
page then names what is still missing.

A field can lead to another: with the income answered "No sé" the engine
only asks the income, since the household size alone cannot decide the
income per person; once the income is known it asks the size. So the pass
asks again after every answer instead of fixing the list at the start.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

# The session key with the program whose pass just ended still undecided: its
# application page then names what is missing instead of starting over.
ASKED_TO_APPLY = "missing_answers_asked"


def fields_to_ask(
    missing: Sequence[str], *, askable: Collection[str], asked: Collection[str]
) -> list[str]:
    """The fields still to ask in this pass, in the engine's order.

    ``askable``: the fields that have a question and the person may change (not
    what the digital ID says); ``asked``: the fields already asked in this pass.
    """
    return [name for name in missing if name in askable and name not in asked]


def unanswerable(missing: Sequence[str], *, askable: Collection[str]) -> list[str]:
    """The missing fields no question can fill in for this person."""
    return [name for name in missing if name not in askable]
