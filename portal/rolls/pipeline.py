"""A whole file judged in chunks, for a large roll in a second process.

:func:`judge_file` reads and judges the file a chunk at a time, here;
:func:`judged_chunks` does the same in a second process for a large roll, so
that judging (about half of an import's work) overlaps the writing that the
importing process does meanwhile (portal/rolls/writing.py).

The second process is a plain ``python -c`` (see :func:`judged_chunks`) that
gets the path and the context pickled on its standard input and answers
pickled chunks on its standard output.

Why not :mod:`multiprocessing` yet: a ``spawn`` version (a bounded queue of
QUEUED_CHUNKS chunks in the child, sent through a pipe only the child writes
to, a thread waiting on the parent's sentinel; commit 1f549c0) was to replace
this protocol if it kept 26,000 rows/s on ``bench/import.py``. On a machine
shared with other test runs (load 2.9-10) neither reached it. On the quiet
machine (load about 1, 2026-12-02, docs/benchmarks.md) both did: this code
42,118 rows/s, the spawn version 39,026 (import / bare insert 0.89 and 0.88).
It was not switched in that session because, put back at the end of it, its
kill tests (``test_a_judging_process_that_dies...`` and ``test_kill_9...``)
failed twice in twelve runs and the cause was not found in time; this
protocol passed the whole suite on SQLite and PostgreSQL. Switching is the
next step once those runs are understood.
"""

from __future__ import annotations

import fcntl
import gc
import os
import pickle
import struct
import subprocess
import sys
import traceback
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

from portal.rolls.judging import Chunk, Rejection, RollContext, Row, cells_name, judge_row
from portal.rolls.reading import RollError, cell_picker, map_headers, read_rows

CHUNK = 5000
# From this many rows on, a second process reads and judges the file while this
# one writes what it has judged (the two halves of the work take about as
# long each); below it, starting that process costs more than it saves.
PARALLEL_MIN_ROWS = 50_000
QUEUED_CHUNKS = 8  # how far the judging process may run ahead of the writer


def judge_file(path: Path, ctx: RollContext) -> Iterator[Chunk]:
    """The file's rows judged in order, about CHUNK rows at a time.

    A CURP met again in the file is rejected, naming the row where it came first.
    """
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
        if read == CHUNK:
            yield read, good, rejections
            read, good, rejections = 0, [], []
    yield read, good, rejections


def _repeated(first: int) -> str:
    from flask_babel import lazy_gettext as _l

    return str(_l("La CURP ya aparece en la fila %(row)s del archivo.", row=first))


def should_run_in_parallel(rows: int) -> bool:
    """A second process needs a second CPU, an interpreter to start, and
    enough rows to pay for its start."""
    return rows >= PARALLEL_MIN_ROWS and (os.cpu_count() or 1) > 1 and bool(sys.executable)


def judged_chunks(
    path: Path, ctx: RollContext, *, parallel: bool = False
) -> Generator[Chunk, None, None]:
    """:func:`judge_file`'s chunks, judged here or, with ``parallel``, in a
    second process so that judging and writing overlap.

    The second process is a plain ``python -c`` (multiprocessing's spawn would
    run the caller's main script again, and fork copies a threaded web
    process): it gets the path and the context pickled on its standard input
    and answers with pickled chunks on its standard output, which a large pipe
    lets it fill QUEUED_CHUNKS ahead of the writer. It dies of a broken pipe
    if this process dies, even by ``kill -9``.
    """
    if not parallel:
        yield from judge_file(path, ctx)
        return
    root = str(Path(__file__).resolve().parents[2])
    search = os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    judge: subprocess.Popen[bytes] = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed command
        [sys.executable, "-c", "from portal.rolls.pipeline import judge_child; judge_child()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=search),
    )
    stdin, stdout = _pipes(judge)
    try:
        _widen_pipe(stdout.fileno())
        stdin.write(pickle.dumps((path, ctx), pickle.HIGHEST_PROTOCOL))
        stdin.close()
        while (item := _receive(stdout, judge)) is not None:
            if isinstance(item, BaseException):
                raise item
            read, good, rejections = item
            yield read, list(map(Row._make, good)), rejections
    finally:
        if judge.poll() is None:
            judge.kill()
        judge.wait()
        stdout.close()


def _pipes(judge: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    """The child's standard input and output (both PIPE, so never None)."""
    if judge.stdin is None or judge.stdout is None:
        raise RuntimeError("the judging process has no pipes")
    return judge.stdin, judge.stdout


_FRAME = struct.Struct("!Q")


def judge_child() -> None:
    """The judging process (see :func:`judged_chunks`): chunks, then None, or
    the error that stopped it."""
    gc.disable()  # see writing.without_cycle_collector: this process only judges rows
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # a stray print must not land in the middle of a chunk
    try:
        path, ctx = pickle.load(sys.stdin.buffer)  # noqa: S301 - from the parent process
        try:
            for read, good, rejections in judge_file(path, ctx):
                # Plain tuples pickle five times faster than named tuples.
                _send(out, (read, [tuple(r) for r in good], rejections))
            _send(out, None)
        except RollError as exc:
            _send(out, RollError(str(exc.message)))
        except Exception:  # noqa: BLE001 - whatever it is, the writer must hear of it
            _send(out, RuntimeError("judging the roll failed:\n" + traceback.format_exc()))
        out.flush()
    except BrokenPipeError:
        os._exit(1)  # the writer is gone: there is nobody to tell


def _send(out: Any, item: Any) -> None:
    data = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME.pack(len(data)))
    out.write(data)


def _receive(stdout: IO[bytes], judge: subprocess.Popen[bytes]) -> Any:
    """The next framed item from the child; a frame cut short (the child died
    while writing it, even halfway through) ends the import, never a bad unpickle."""
    header = stdout.read(_FRAME.size)
    size = _FRAME.unpack(header)[0] if len(header) == _FRAME.size else 0
    data = stdout.read(size) if size else b""
    if not size or len(data) < size:
        raise RuntimeError(f"the judging process ended early (exit code {judge.wait()})")
    return pickle.loads(data)  # noqa: S301 - from our own child process


def _widen_pipe(fd: int) -> None:
    """Let the pipe hold QUEUED_CHUNKS chunks (Linux; elsewhere it stays as it is)."""
    try:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, QUEUED_CHUNKS * 256 * 1024)
    except (AttributeError, OSError):
        pass
