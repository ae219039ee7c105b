"""Worker processes that read, check and compile an OCDS file while the loader writes.

With two processors or more, where processes can be forked, for a seekable file of
``WORKER_MIN_BYTES`` or more, ``workers_for`` says how many; each forked worker reads the whole
file but parses, checks and compiles only its own batches (every n-th, see
``preparing.Preparer``), and sends them through its own queue of at most ``QUEUE_BATCHES``.
The loader takes the batches back in file order and writes them in its one transaction. A worker
never touches the database. See docs/decisions/0047-ingest-worker-process.md and
docs/decisions/0048-ingest-preparers.md.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import sys
import traceback
from collections.abc import Generator
from pathlib import Path
from queue import Empty, Full
from typing import IO, Any

from missionhub.procurement.ocds import (
    OcdsFileError,
    ReleaseChecker,
    fast_readable,
    read_indexed,
)
from missionhub.procurement.preparing import (
    Batch,
    Preparer,
    batch_number,
    fewer_collections,
    from_wire,
    to_wire,
)

WORKER_MIN_BYTES = 8 * 1024 * 1024  # about 2,500 Contracts Finder releases
MAX_WORKERS = 4
QUEUE_BATCHES = 2


def workers_for(source: IO[bytes], encoding: str = "utf-8") -> int:
    """How many worker processes to read, check and compile ``source`` (0: none): one per
    processor (at most ``MAX_WORKERS``; on two processors, two workers and the writer measured
    faster than one worker, decision 0048), where processes can be forked, for a seekable file
    (not standard input: a forked process closes it) of ``WORKER_MIN_BYTES`` or more. One only
    where the fast reader cannot read the file (ijson would make every worker parse it all)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cpus or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if any(source is getattr(stdin, "buffer", stdin) for stdin in (sys.stdin, sys.__stdin__)):
        return 0
    try:
        if not source.seekable():
            return 0
        here = source.tell()
        size = source.seek(0, io.SEEK_END) - here
        source.seek(here)
    except (AttributeError, OSError, ValueError):
        return 0
    if size < WORKER_MIN_BYTES:
        return 0
    return min(cpus or 1, MAX_WORKERS) if fast_readable(source, encoding) else 1


class _Positional(io.RawIOBase):
    """A file read at its own offset (``os.pread``): forked processes share an inherited file's
    offset, so each worker reads through one of these instead."""

    def __init__(self, fd: int, offset: int) -> None:
        super().__init__()
        self.fd, self.offset = fd, offset

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.offset

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            self.offset = offset
        elif whence == io.SEEK_CUR:
            self.offset += offset
        else:
            self.offset = os.fstat(self.fd).st_size + offset
        return self.offset

    def readinto(self, buffer: Any) -> int:
        data = os.pread(self.fd, len(buffer), self.offset)
        buffer[: len(data)] = data
        self.offset += len(data)
        return len(data)


def _own_reader(source: IO[bytes]) -> IO[bytes]:
    """This worker's view of ``source``: a file on disk is read at this worker's own offset;
    anything else (an in-memory file) is the worker's own copy after the fork. Only a plain
    file: a compressed one's ``fileno`` is that of the compressed bytes."""
    raw = source.raw if isinstance(source, io.BufferedReader) else source
    if not isinstance(raw, io.FileIO):
        return source
    return io.BufferedReader(_Positional(raw.fileno(), source.tell()), buffer_size=1024 * 1024)


def _worker(
    source: IO[bytes],
    encoding: str,
    checker: ReleaseChecker,
    keep_valid: bool,
    schema_path: Path,
    part: int,
    parts: int,
    queue: Any,
) -> None:
    """One worker: read the file, check and compile batches ``part``, ``part + parts``, ...,
    and send each to the loader."""
    try:
        with fewer_collections():
            releases = read_indexed(
                _own_reader(source),
                encoding=encoding,
                wanted=lambda index: batch_number(index) % parts == part,
            )
            for batch in Preparer(checker, keep_valid, schema_path).batches(releases):
                _send(queue, ("batch", to_wire(batch)))
        _send(queue, ("done", None))
    except OcdsFileError as exc:
        _send(queue, ("file", (exc.message, exc.line)))
    except BaseException:  # the loader raises it: nothing may be written
        _send(queue, ("failed", traceback.format_exc()))


def _send(queue: Any, message: tuple[str, Any]) -> None:
    """Put ``message`` in the loader's queue, waiting while it is full; stop if the loader has
    gone (killed, it cannot stop its workers, and a full queue would hold them for ever)."""
    parent = os.getppid()
    while True:
        try:
            queue.put(message, timeout=1)
            return
        except Full:
            if os.getppid() != parent:
                os._exit(1)


def prepared_elsewhere(
    source: IO[bytes],
    encoding: str,
    checker: ReleaseChecker,
    keep_valid: bool,
    schema_path: Path,
    parts: int,
) -> Generator[Batch, None, None]:
    """The batches of ``Preparer.batches`` over the whole file, in file order, made by ``parts``
    forked workers. At most ``QUEUE_BATCHES`` wait in each worker's pipe (memory stays bounded);
    the workers are stopped if the load stops."""
    context = multiprocessing.get_context("fork")
    queues = [context.Queue(maxsize=QUEUE_BATCHES) for _ in range(parts)]
    workers = [
        context.Process(
            target=_worker,
            args=(source, encoding, checker, keep_valid, schema_path, part, parts, queues[part]),
            daemon=True,
        )
        for part in range(parts)
    ]
    for worker in workers:
        worker.start()
    try:
        number = 0
        while True:
            kind, value = _next(queues[number % parts], workers[number % parts])
            if kind == "batch":
                yield from_wire(value)
                number += 1
            elif kind == "done":  # batches are numbered without gaps: this was the last
                return
            elif kind == "file":
                raise OcdsFileError(*value)
            else:
                raise RuntimeError(f"the ingest worker process failed:\n{value}")
    finally:
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
            worker.join()
        for queue in queues:
            queue.close()


def _next(queue: Any, worker: Any) -> tuple[str, Any]:
    while True:
        try:
            found: tuple[str, Any] = queue.get(timeout=1)
            return found
        except Empty:
            if not worker.is_alive():
                try:  # its last words may have arrived as it stopped
                    found = queue.get(timeout=0.5)
                    return found
                except Empty:
                    raise RuntimeError("the ingest worker process stopped") from None


__all__ = ["MAX_WORKERS", "QUEUE_BATCHES", "WORKER_MIN_BYTES", "prepared_elsewhere", "workers_for"]
