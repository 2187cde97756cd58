"""A whole file judged in chunks, for a large roll in a second process.

:func:`judge_file` reads and judges the file a chunk at a time, here;
:func:`judged_chunks` does the same in a second process for a large roll, so
that judging (about half of an import's work) overlaps the writing that the
importing process does meanwhile (portal/rolls/writing.py).

The second process comes from :mod:`multiprocessing` with the ``spawn``
context: a fresh interpreter, never a fork, since the importing process may be
a threaded web or queue worker (forking one copies its locks in whatever state
its other threads left them). ``spawn`` imports the caller's main module again
under the name ``__mp_main__``, which runs nothing for the portal's entry
points (``flask``, ``huey_consumer``, ``gunicorn``, ``python -m``: their work is
behind ``if __name__ == "__main__"``). The judging process needs no database and
no Flask app. It judges into a queue bounded at QUEUED_CHUNKS chunks, so it
runs at most that far ahead of the writer, and a thread of its own sends them
through a pipe whose sending end only it holds: if it dies, the writer reads
the end of the pipe and fails the batch instead of waiting forever. It ends
itself as soon as the importing process is gone, even killed with ``kill -9``:
another thread waits on its parent's sentinel (a pipe that closes when the
parent dies), wherever the judging is, and sending to a gone writer fails too.

It replaced a hand-written ``python -c`` child with pickles on its standard
input and output once it kept the 26,000 rows/s that ``bench/import.py`` asked
of it: on a quiet machine (2026-12-02) the spawn version imported 39,026 rows/s,
the old protocol 42,118 (import / bare insert 0.88 and 0.89; docs/benchmarks.md).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import queue
import threading
import traceback
from collections.abc import Generator, Iterator
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

from portal.rolls.judging import Chunk, Rejection, RollContext, Row, cells_name, judge_row
from portal.rolls.reading import RollError, Source, cell_picker, map_headers, read_rows

CHUNK = 5000
# From this many rows on, a second process reads and judges the file while this
# one writes what it has judged (the two halves of the work take about as
# long each); below it, starting that process costs more than it saves.
PARALLEL_MIN_ROWS = 50_000
QUEUED_CHUNKS = 8  # how far the judging process may run ahead of the writer
PROCESS_NAME = "judge-roll"


def judge_file(path: Source, ctx: RollContext, chunk: int | None = None) -> Iterator[Chunk]:
    """The file's rows judged in order, ``chunk`` (by default CHUNK) rows at a time.

    A CURP met again in the file is rejected, naming the row where it came first.
    """
    size = chunk or CHUNK
    rows_iter = read_rows(path)
    pick = cell_picker(map_headers(next(rows_iter)))
    first_row: dict[str, int] = {}
    read = 0
    good: list[Row] = []
    rejections: list[Rejection] = []
    for number, raw in enumerate(rows_iter, start=2):
        read += 1
        cells = pick(raw)
        row, reasons, curp = judge_row(number, cells, ctx)
        if row is not None:
            seen = first_row.setdefault(row.curp, number)
            if seen != number:
                row, reasons = None, [_repeated(seen)]
        if row is None:
            rejections.append((number, curp, cells_name(cells), reasons))
        else:
            good.append(row)
        if read == size:
            yield read, good, rejections
            read, good, rejections = 0, [], []
    yield read, good, rejections


def _repeated(first: int) -> str:
    from flask_babel import lazy_gettext as _l

    return str(_l("La CURP ya aparece en la fila %(row)s del archivo.", row=first))


def should_run_in_parallel(rows: int) -> bool:
    """A second process needs a second CPU, and enough rows to pay for its start."""
    return rows >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1


def judged_chunks(
    path: Source, ctx: RollContext, *, parallel: bool = False
) -> Generator[Chunk, None, None]:
    """:func:`judge_file`'s chunks, judged here or, with ``parallel``, in a
    second process (see the module's docstring) so that judging and writing
    overlap. Closing the generator ends the second process."""
    if not parallel:
        yield from judge_file(path, ctx)
        return
    spawn = multiprocessing.get_context("spawn")
    receiving, sending = spawn.Pipe(duplex=False)
    # The sizes go along: a spawned process imports this module afresh.
    judge = spawn.Process(
        target=judge_in_child,
        args=(path, ctx, sending, CHUNK, QUEUED_CHUNKS),
        name=PROCESS_NAME,
        daemon=True,
    )
    judge.start()
    # Only the judging process holds the sending end now: when it ends, for
    # whatever reason, reading finds the end of the pipe instead of waiting.
    sending.close()
    try:
        while (item := _receive(receiving, judge)) is not None:
            if isinstance(item, BaseException):
                raise item
            read, good, rejections = item
            yield read, list(map(Row._make, good)), rejections
    finally:
        if judge.is_alive():
            judge.kill()
        judge.join()
        receiving.close()


def _receive(receiving: Connection, judge: BaseProcess) -> Any:
    """The next item from the judging process; an error if it ended without one
    (or died halfway through sending one: the connection then says "got end of
    file during message", an OSError)."""
    try:
        return receiving.recv()
    except (EOFError, OSError):
        judge.join()
        raise RuntimeError(
            f"the judging process ended early (exit code {judge.exitcode})"
        ) from None


def judge_in_child(
    path: Source, ctx: RollContext, sending: Connection, chunk: int, queued: int
) -> None:
    """The judging process: every chunk, then None, or the error that stopped it.

    This thread judges ``chunk`` rows at a time into a queue of ``queued``
    chunks, which another thread sends to the writer: judging goes on while a
    chunk waits for the writer to read it, and stops when the writer is that
    far behind.
    """
    _end_with_parent()
    gc.disable()  # see writing.without_cycle_collector: this process only judges rows
    judged: queue.Queue[Any] = queue.Queue(maxsize=queued)
    sender = threading.Thread(target=_send_all, args=(judged, sending), name="send-chunks")
    sender.start()
    try:
        for read, good, rejections in judge_file(path, ctx, chunk):
            # Plain tuples pickle five times faster than named tuples.
            judged.put((read, [tuple(r) for r in good], rejections))
        judged.put(None)
    except RollError as exc:
        judged.put(RollError(str(exc.message)))
    except Exception:  # noqa: BLE001 - whatever it is, the writer must hear of it
        judged.put(RuntimeError("judging the roll failed:\n" + traceback.format_exc()))
    sender.join()


def _send_all(judged: queue.Queue[Any], sending: Connection) -> None:
    """Send the judged chunks in order, up to the last item (None or an error)."""
    while True:
        item = judged.get()
        try:
            sending.send(item)
        except OSError:
            os._exit(1)  # the writer is gone: there is nobody to tell
        if item is None or isinstance(item, BaseException):
            return


def _end_with_parent() -> None:
    """End this process the moment its parent is gone, whatever it is doing
    (judging, or waiting for room in the queue)."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(1)  # the writer is gone: there is nobody to tell

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
