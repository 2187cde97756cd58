"""Screening on the background queue (portal/web/queue.py).

A program version published (portal/catalog/store.py, editing.py call
``catalog.store.after_published`` with the program ids once committed) queues
:func:`screen_calls` for its calls open today (a whole catalog file: one
task for all of them, each person evaluated once); every morning
:func:`screen_calls_opening_today` queues the calls whose window opens that
day. Each run screens one chunk (portal/outreach/screening.py) and queues the
next, so no task runs long and a restart loses at most a chunk, which the
unique (citizen, call) row makes safe to run again.
"""

from __future__ import annotations

import datetime as dt

from huey import crontab

from portal.catalog import store
from portal.models import Call, Program
from portal.outreach import screening
from portal.web.extensions import db
from portal.web.queue import huey, in_app


def init_app(app) -> None:
    if _published not in store.after_published:
        store.after_published.append(_published)


def open_calls(program_ids: list[int], on: dt.date) -> list[int]:
    return [
        call.id
        for call in Call.select(Call.id)
        .join(Program)
        .where(
            Call.program.in_(program_ids)
            & Program.active
            & (Call.opens <= on)
            & (Call.closes >= on)
        )
    ]


def _published(program_ids: list[int]) -> None:
    calls = open_calls(program_ids, dt.date.today())
    if calls:
        screen_calls(calls)


def _chunk(call_ids: list[int], after: int) -> int | None:
    db.connect(reuse_if_open=True)
    done = screening.screen_chunk(call_ids, after)
    if done.after is not None:
        screen_calls(call_ids, done.after)
    return done.after


@huey.task()
def screen_calls(call_ids: list[int], after: int = 0) -> int | None:
    """Screen one chunk of the people who agreed to be told for the calls
    ``call_ids``, then queue the next chunk."""
    return in_app(lambda: _chunk(list(call_ids), after))


def _opening_today() -> list[int]:
    db.connect(reuse_if_open=True)
    today = dt.date.today()
    calls = [
        call.id
        for call in Call.select(Call.id).join(Program).where(Program.active & (Call.opens == today))
    ]
    if calls:
        screen_calls(calls)
    return calls


@huey.periodic_task(crontab(hour="7", minute="20"))
def screen_calls_opening_today() -> list[int]:
    return in_app(_opening_today)
