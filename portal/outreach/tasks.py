"""Screening on the background queue (portal/web/queue.py).

A program version published (portal/catalog/store.py, editing.py call
``catalog.store.after_published`` with the program ids once committed) queues
:func:`screen_call` for each of its calls open today; every morning
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
    for call_id in open_calls(program_ids, dt.date.today()):
        screen_call(call_id)


def _chunk(call_id: int, after: int) -> int | None:
    db.connect(reuse_if_open=True)
    done = screening.screen_chunk(call_id, after)
    if done.after is not None:
        screen_call(call_id, done.after)
    return done.after


@huey.task()
def screen_call(call_id: int, after: int = 0) -> int | None:
    """Screen one chunk of the people who agreed to be told for ``call_id``, then queue the next."""
    return in_app(lambda: _chunk(call_id, after))


def _opening_today() -> list[int]:
    db.connect(reuse_if_open=True)
    today = dt.date.today()
    calls = [
        call.id
        for call in Call.select(Call.id).join(Program).where(Program.active & (Call.opens == today))
    ]
    for call_id in calls:
        screen_call(call_id)
    return calls


@huey.periodic_task(crontab(hour="7", minute="20"))
def screen_calls_opening_today() -> list[int]:
    return in_app(_opening_today)
