"""Questionnaire answers saved under a short code, so a person can resume later."""

from __future__ import annotations

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
)

from portal.web.tables import BaseModel, JSONText, utcnow


class ResumeCode(BaseModel):
    """Anonymous answers kept for a while under a short, unambiguous code.

    Only the code finds them: the row holds no name or contact, and it is
    worthless after ``expires_at``.
    """

    id: AutoField[int]
    code = CharField(max_length=12, unique=True)
    answers = JSONText(default=dict)
    asked = JSONText(default=list)  # the order the questions were answered in
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField(index=True)
