"""Ingest OCDS: stream releases, validate each offline, keep every raw release, compile each
contracting process with ocdsmerge, and derive awards, suppliers and SME classifications.

Idempotent on (ocid, release id): a release already stored is skipped. A file goes in whole or
not at all: the caller's transaction is rolled back when :class:`Invalid` is raised, unless
``keep_valid`` is set, in which case invalid releases are left out and listed in the report.
Memory is bounded: releases are written in batches, and processes compiled a batch at a time.
With two processors or more and a file of ``WORKER_MIN_BYTES`` or more, a forked worker process
reads, checks and compiles while this process writes (docs/decisions/0047-ingest-worker-process.md).
"""

from __future__ import annotations

import gc
import io
import multiprocessing
import os
import sys
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from queue import Empty
from typing import IO, Any, NamedTuple

import ocdsmerge
import orjson
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role
from missionhub.accounts.permissions import Actor, require
from missionhub.db.bulk import bulk_insert
from missionhub.errors import FieldError, Invalid
from missionhub.procurement import awards as award_rules
from missionhub.procurement.awards import as_dict
from missionhub.procurement.merging import compile_process
from missionhub.procurement.models import (
    Award,
    AwardSupplier,
    ClassificationSource,
    NamedSource,
    NamedSubcontractor,
    OcdsIngest,
    OcdsProcess,
    OcdsRelease,
    Scale,
    SmeClassification,
    Supplier,
    table,
)
from missionhub.procurement.ocds import OcdsFileError, Problem, ReleaseChecker, read_releases
from missionhub.procurement.suppliers import (
    Register,
    normalise_name,
    party_identifier,
    party_scale,
)

BATCH = 500
WORKER_MIN_BYTES = 8 * 1024 * 1024  # about 2,500 Contracts Finder releases
QUEUE_BATCHES = 2
RELEASE_COLUMNS = ("ocid", "release_id", "date", "tags", "raw", "ingest_id")
PROCESS_COLUMNS = ("ocid", "title", "buyer_name", "organisation_id", "release_count", "compiled")
AWARD_COLUMNS = (
    "ocid",
    "award_id",
    "title",
    "buyer_name",
    "organisation_id",
    "status",
    "award_date",
    "financial_year",
    "value",
    "currency",
    "is_agreement",
    "agreement_reason",
    "split_rule",
)
LINK_COLUMNS = ("award_id", "supplier_id", "share", "named_value", "removed_by_amendment")
NAMED_COLUMNS = (
    "award_id",
    "subcontractor_id",
    "planned_amount",
    "named_on",
    "source",
    "removed_on",
    "created_by_id",
)
CLASSIFICATION_COLUMNS = ("supplier_id", "scale", "source", "ocid", "release_id", "observed_at")
MAX_LISTED = 500
_STORED_RELEASES = select(OcdsRelease.ocid, OcdsRelease.release_id).where(
    OcdsRelease.ocid.in_(bindparam("ocids", expanding=True))
)
_ANY_RELEASE = select(OcdsRelease.id).limit(1)
_PROCESS_IDS = select(OcdsProcess.ocid, OcdsProcess.id).where(
    OcdsProcess.ocid.in_(bindparam("ocids", expanding=True))
)
_AWARD_IDS = select(Award.id, Award.ocid, Award.award_id).where(
    Award.ocid.in_(bindparam("ocids", expanding=True))
)
SUPPLIER_ROLES = frozenset({"supplier", "tenderer", "subcontractor"})
Progress = Callable[[int, str], None]


@dataclass
class IngestReport:
    ingest_id: int
    read: int = 0
    new: int = 0
    existing: int = 0
    compiled: int = 0
    awards: int = 0
    rejected: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ingest_id": self.ingest_id,
            "releases_read": self.read,
            "releases_new": self.new,
            "releases_already_stored": self.existing,
            "processes_compiled": self.compiled,
            "awards": self.awards,
            "rejected": self.rejected,
            "warnings": self.warnings,
        }


@contextmanager
def fewer_collections(young: int = 50_000) -> Iterator[None]:
    """Run the cyclic garbage collector less often while releases stream through.

    Each release is a tree of a few hundred dicts and lists; with the default threshold (700
    allocations) the collector runs every few releases and walks the batch in hand, about a fifth
    of the ingest's time. Parsed JSON holds no reference cycles (reference counting frees it), so
    collecting less often holds no more memory. The previous thresholds are restored after.
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], young), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def require_commercial(actor: Actor) -> None:
    require(
        actor.is_admin or (actor.role is Role.COMMERCIAL and actor.is_civil_servant),
        "Only a commercial officer can load procurement data",
    )


def ingest_ocds(
    session: Session,
    *,
    actor: Actor,
    source: IO[bytes],
    filename: str,
    schema_path: Path,
    keep_valid: bool = False,
    encoding: str = "utf-8",
    sha256: str | None = None,
    progress: Progress | None = None,
    parallel: bool = False,
) -> IngestReport:
    """Load ``source`` whole or not at all. ``parallel`` lets a forked worker read, check and
    compile (see :func:`use_worker`): only for a caller whose other threads hold no lock the
    worker could need (the CLI, the benchmark), never the web process (decision 0047)."""
    require_commercial(actor)
    record = OcdsIngest(
        filename=filename[:300],
        sha256=sha256,
        organisation_id=actor.organisation_id,
        created_by_id=actor.user_id,
    )
    session.add(record)
    session.flush()
    report = IngestReport(record.id)
    loader = _Loader(
        session,
        record,
        report,
        ReleaseChecker(schema_path),
        keep_valid,
        schema_path,
        actor.organisation_id,
    )
    try:
        with fewer_collections():
            if parallel and use_worker(source):
                with closing(
                    _prepared_elsewhere(source, encoding, loader.checker, keep_valid, schema_path)
                ) as batches:
                    loader.load_prepared(batches, progress)
            else:
                loader.load(read_releases(source, encoding=encoding), progress)
    except OcdsFileError as exc:
        raise Invalid(
            [
                FieldError(
                    f"{filename}, line {exc.line}" if exc.line else filename,
                    str(exc).split(": ", 1)[-1] if exc.line else str(exc),
                )
            ]
        ) from exc
    if loader.errors and not keep_valid:
        raise Invalid(
            [FieldError(f"{p.release} {p.path}", p.message) for p in loader.errors[:MAX_LISTED]]
        )
    with fewer_collections():
        compile_processes(
            session,
            ocids=loader.touched,
            schema_path=schema_path,
            organisation_id=actor.organisation_id,
            report=report,
            progress=progress,
        )
    record.releases_read, record.releases_new = report.read, report.new
    record.releases_existing, record.processes_compiled = report.existing, report.compiled
    record.rejects = report.rejected[:MAX_LISTED] or None
    record.warnings = report.warnings[:MAX_LISTED] or None
    session.flush()
    return report


# Preparing releases: pure, in this process or in a worker process ------------------------------


class _Prepared(NamedTuple):
    """A checked release, ready to store: its row, and the parties that may be suppliers."""

    key: tuple[str, str]
    row: tuple[Any, ...]  # RELEASE_COLUMNS but the ingest id, with raw as UTF-8 bytes
    parties: list[tuple[str, str | None, tuple[Scale, ClassificationSource] | None]]
    observed: tuple[Any, Any, str]  # ocid, release id and date for an SME statement
    release: dict[str, Any] | None  # kept only when compiled in this process


class _Item(NamedTuple):
    """One release read: its warnings, its errors, or what to store (None for a repeat)."""

    warnings: list[Problem]
    errors: list[Problem]
    prepared: _Prepared | None


class _Preparer:
    """Check each release, drop repeats, and cut batches of ``BATCH`` releases to store."""

    def __init__(self, checker: ReleaseChecker, keep_valid: bool) -> None:
        self.checker, self.keep_valid = checker, keep_valid
        self.seen: dict[tuple[str, str], int] = {}
        self.failed = False

    def batches(
        self, releases: Iterable[dict[str, Any]], keep: bool = True
    ) -> Iterator[list[_Item]]:
        items: list[_Item] = []
        count = 0
        for release in releases:
            item = self.item(release, keep)
            items.append(item)
            if item.prepared is not None:
                count += 1
                if count >= BATCH:
                    yield items
                    items, count = [], 0
        if items:
            yield items

    def item(self, release: dict[str, Any], keep: bool) -> _Item:
        checked = self.checker.check(release)
        warnings = checked.warnings[:10]
        if checked.errors:
            self.failed = True
            return _Item(warnings, checked.errors, None)
        if self.failed and not self.keep_valid:
            return _Item(warnings, [], None)  # the file will be refused: look for more problems
        raw = orjson.dumps(release)
        key = (str(release["ocid"]), str(release["id"]))
        if key in self.seen:
            if self.seen[key] == hash(raw):
                return _Item(warnings, [], None)
            self.failed = True
            problem = Problem(
                f"{key[0]}/{key[1]}", "$.id", "this release id appears twice with different content"
            )
            return _Item(warnings, [problem], None)
        self.seen[key] = hash(raw)  # the key and a digest, not the bytes
        date = str(release.get("date") or "")[:40]
        parties = [
            (str(party.get("name") or ""), party_identifier(party), party_scale(party))
            for party in release.get("parties") or []
            if isinstance(party, dict) and SUPPLIER_ROLES & set(party.get("roles") or [])
        ]
        # raw stays bytes until it is written: a worker sends bytes through the pipe as they are
        row = (key[0][:200], key[1][:300], date, list(release.get("tag") or []), raw)
        observed = (release.get("ocid"), release.get("id"), date)
        return _Item(
            warnings, [], _Prepared(key, row, parties, observed, release if keep else None)
        )


def _prepare_batches(
    source: IO[bytes], encoding: str, checker: ReleaseChecker, keep_valid: bool, schema_path: Path
) -> Iterator[_Batch]:
    """What a worker process sends: each batch, with every process in it compiled (the loader
    uses those first seen in the file; it recompiles the others from the database)."""
    for items in _Preparer(checker, keep_valid).batches(read_releases(source, encoding=encoding)):
        grouped: dict[str, list[dict[str, Any]]] = {}
        for item in items:
            if item.prepared is not None and item.prepared.release is not None:
                grouped.setdefault(item.prepared.key[0], []).append(item.prepared.release)
        processes = {
            ocid: _build_process(ocid, releases, schema_path)[0]
            for ocid, releases in grouped.items()
        }
        sent = [
            item
            if item.prepared is None
            else item._replace(prepared=item.prepared._replace(release=None))
            for item in items
        ]
        yield sent, processes


def _worker(
    source: IO[bytes],
    encoding: str,
    checker: ReleaseChecker,
    keep_valid: bool,
    schema_path: Path,
    queue: Any,
) -> None:
    """The worker process: read, check and compile, and send each batch to the loader."""
    try:
        with fewer_collections():
            for batch in _prepare_batches(source, encoding, checker, keep_valid, schema_path):
                queue.put(("batch", batch))
        queue.put(("done", None))
    except OcdsFileError as exc:
        queue.put(("file", (exc.message, exc.line)))
    except BaseException:  # the loader raises it: nothing may be written
        queue.put(("failed", traceback.format_exc()))


def use_worker(source: IO[bytes]) -> bool:
    """Whether to read, check and compile in a second process while this one writes: with two
    processors or more, where processes can be forked, for a file of ``WORKER_MIN_BYTES`` or
    more (the worker starts in a few milliseconds but each batch is sent through a pipe)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if (cpus or 1) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return False
    if any(source is getattr(stdin, "buffer", stdin) for stdin in (sys.stdin, sys.__stdin__)):
        return False  # a forked process closes its standard input
    try:
        if not source.seekable():
            return False
        here = source.tell()
        size = source.seek(0, io.SEEK_END) - here
        source.seek(here)
    except (AttributeError, OSError, ValueError):
        return False
    return size >= WORKER_MIN_BYTES


def _prepared_elsewhere(
    source: IO[bytes], encoding: str, checker: ReleaseChecker, keep_valid: bool, schema_path: Path
) -> Generator[_Batch, None, None]:
    """The batches of :func:`_prepare_batches`, made by a forked worker process. At most
    ``QUEUE_BATCHES`` wait in the pipe (memory stays bounded); the worker is stopped if the load
    stops. The worker never touches the database: this process writes, in its one transaction."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=QUEUE_BATCHES)
    worker = context.Process(
        target=_worker,
        args=(source, encoding, checker, keep_valid, schema_path, queue),
        daemon=True,
    )
    worker.start()
    try:
        while True:
            try:
                kind, value = queue.get(timeout=1)
            except Empty:
                if not worker.is_alive():
                    raise RuntimeError("the ingest worker process stopped") from None
                continue
            if kind == "batch":
                yield value
            elif kind == "done":
                return
            elif kind == "file":
                raise OcdsFileError(*value)
            else:
                raise RuntimeError(f"the ingest worker process failed:\n{value}")
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()
        queue.close()


class _Loader:
    """Phase one: check and store raw releases, and what each says of its suppliers' size."""

    def __init__(
        self,
        session: Session,
        record: OcdsIngest,
        report: IngestReport,
        checker: ReleaseChecker,
        keep_valid: bool,
        schema_path: Path,
        organisation_id: int | None,
    ) -> None:
        self.session, self.record, self.report = session, record, report
        self.checker, self.keep_valid = checker, keep_valid
        self.register = Register.load(session)
        self.errors: list[Problem] = []
        self.touched: set[str] = set()
        self.file_ocids: set[str] = set()
        self.seen: dict[tuple[str, str], int] = {}
        self.compiler = _Compiler(session, schema_path, organisation_id, self.register, report)
        self.observations: list[tuple[Supplier, tuple[Any, ...]]] = []
        self.has_history = session.connection().execute(_ANY_RELEASE).first() is not None

    def load(self, releases: Iterable[dict[str, Any]], progress: Progress | None) -> None:
        """Check, store and compile in this process."""
        prepare = _Preparer(self.checker, self.keep_valid)
        build = partial(_compile_here, self.compiler.schema_path)
        for items in prepare.batches(releases):
            self._take(items, build, progress)
        self.compiler.flush()
        self._write_observations()

    def load_prepared(self, batches: Iterable[_Batch], progress: Progress | None) -> None:
        """Store what a worker process checked and compiled (see :func:`_prepared_elsewhere`)."""
        for items, processes in batches:
            self._take(items, partial(_compiled_there, processes), progress)
        self.compiler.flush()
        self._write_observations()

    def _take(self, items: list[_Item], process: _ProcessOf, progress: Progress | None) -> None:
        batch: list[_Prepared] = []
        for item in items:
            self.report.read += 1
            self.report.warnings.extend(w.as_dict() for w in item.warnings)
            if item.errors:
                self._reject(item.errors)
            elif item.prepared is not None:
                batch.append(item.prepared)
        if batch:
            self._store(batch, process)
            if progress and len(batch) >= BATCH:
                progress(self.report.read, f"{self.report.read:,} releases read")

    def _reject(self, problems: list[Problem]) -> None:
        self.errors.extend(problems)
        if self.keep_valid:
            self.report.rejected.extend(p.as_dict() for p in problems)

    def _store(self, batch: list[_Prepared], process: _ProcessOf) -> None:
        if self.errors and not self.keep_valid:
            return
        ocids = list({p.key[0] for p in batch})
        # One query (through the connection: these rows are bulk-written, never pending in the
        # session, so no autoflush is needed) gives both the releases already stored and the
        # processes that already have releases.
        stored: set[tuple[str, str]] = set()
        history: set[str] = set()
        if self.has_history:  # else only this file's earlier batches (``seen``, ``file_ocids``)
            for ocid, release_id in self.session.connection().execute(
                _STORED_RELEASES, {"ocids": ocids}
            ):
                stored.add((ocid, release_id))
                history.add(ocid)
        rows = []
        fresh: dict[str, list[_Prepared]] = {}  # processes first seen in this batch
        record_id = self.record.id
        for prepared in batch:
            key = prepared.key
            if key in stored:
                self.report.existing += 1
                continue
            if key[0] in history or key[0] in self.file_ocids:
                self.touched.add(key[0])  # compiled from all its stored releases afterwards
            else:
                fresh.setdefault(key[0], []).append(prepared)
            row = prepared.row
            rows.append((row[0], row[1], row[2], row[3], row[4].decode(), record_id))
            self._observe(prepared)
        self.file_ocids.update(fresh)
        bulk_insert(self.session, table(OcdsRelease), RELEASE_COLUMNS, rows)
        self.report.new += len(rows)
        for ocid, group in fresh.items():
            self.compiler.add_process(*process(ocid, group))

    def _observe(self, prepared: _Prepared) -> None:
        for name, identifier, said in prepared.parties:
            supplier = self.register.resolve(name, identifier, flush=False)
            if said is not None:
                self.observations.append((supplier, (*said, *prepared.observed)))

    def _write_observations(self) -> None:
        if not self.observations:
            return
        self.session.flush()
        rows = [(s.id, *obs) for s, obs in self.observations]
        for start in range(0, len(rows), 2000):
            bulk_insert(
                self.session,
                table(SmeClassification),
                CLASSIFICATION_COLUMNS,
                rows[start : start + 2000],
            )
        touched = {s.id: s for s, _ in self.observations}
        _refresh_scales(self.session, touched)


def _refresh_scales(session: Session, suppliers: dict[int, Supplier]) -> None:
    """Set each supplier's status from its classifications: an officer's latest override,
    else the most recent release's statement (the rule of ``suppliers.effective_scale``)."""
    c = SmeClassification
    ids = list(suppliers)
    for start in range(0, len(ids), 500):
        best: dict[int, tuple[bool, str, int, Scale]] = {}
        rows = session.execute(
            select(c.supplier_id, c.source, c.observed_at, c.id, c.scale).where(
                c.supplier_id.in_(ids[start : start + 500])
            )
        )
        for supplier_id, source, observed_at, row_id, scale in rows:
            officer = source is ClassificationSource.OFFICER
            if not officer and not observed_at:
                continue
            rank = (officer, "" if officer else str(observed_at), row_id, scale)
            if supplier_id not in best or rank[:3] > best[supplier_id][:3]:
                best[supplier_id] = rank
        for supplier_id, rank in best.items():
            if suppliers[supplier_id].scale is not rank[3]:
                suppliers[supplier_id].scale = rank[3]


# Phase two: compile ---------------------------------------------------------------------------


def _batches(items: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def compile_processes(
    session: Session,
    *,
    ocids: set[str],
    schema_path: Path,
    organisation_id: int | None,
    report: IngestReport,
    progress: Progress | None = None,
) -> None:
    """Compile every process in ``ocids`` from all its stored releases, and refresh its awards."""
    compiler = _Compiler(session, schema_path, organisation_id, Register.load(session), report)
    done = 0
    for batch in _batches(sorted(ocids), 200):
        grouped: dict[str, list[dict[str, Any]]] = {ocid: [] for ocid in batch}
        rows = session.execute(
            select(OcdsRelease.ocid, OcdsRelease.raw)
            .where(OcdsRelease.ocid.in_(batch))
            .order_by(OcdsRelease.ocid, OcdsRelease.date, OcdsRelease.id)
        )
        for ocid, raw in rows:
            grouped[ocid].append(orjson.loads(raw))
        for ocid, releases in grouped.items():
            compiler.add(ocid, releases)
        compiler.flush()
        done += len(batch)
        if progress:
            progress(report.read, f"{done:,} of {len(ocids):,} processes compiled")


class _Compiler:
    """Compiles processes and writes them and their awards, a batch at a time."""

    def __init__(
        self,
        session: Session,
        schema_path: Path,
        organisation_id: int | None,
        register: Register,
        report: IngestReport,
    ) -> None:
        self.session, self.schema_path, self.register, self.report = (
            session,
            schema_path,
            register,
            report,
        )
        self.owners = _Owners(session, organisation_id)
        self.processes: dict[str, _Process] = {}
        self.awards: dict[str, list[award_rules.AwardData]] = {}
        self.done: set[str] = set()

    def add(self, ocid: str, releases: list[dict[str, Any]]) -> None:
        self.add_process(*_build_process(ocid, releases, self.schema_path))

    def add_process(
        self, process: _Process, compiled: dict[str, Any], releases: list[dict[str, Any]]
    ) -> None:
        if process.error is not None:
            # Valid against the schema, yet its releases cannot be merged (e.g. one id with a
            # value in one place and an object in another): the whole load is refused.
            raise Invalid(
                [
                    FieldError(
                        f"process {process.ocid}",
                        f"its releases cannot be compiled: {process.error}",
                    )
                ]
            )
        for message in process.warnings[:5]:
            self.report.warnings.append({"release": process.ocid, "path": "$", "message": message})
        self.processes[process.ocid] = process
        self.awards[process.ocid] = award_rules.awards(compiled, releases)
        if len(self.processes) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.processes:
            return
        processes = list(self.processes.values())
        _write_processes(self.session, processes, self.owners)
        _write_awards(self.session, processes, self.awards, self.owners, self.register, self.report)
        self.report.compiled += len(processes)
        self.done.update(self.processes)
        self.processes, self.awards = {}, {}


@dataclass(slots=True)
class _Process:
    """A compiled process, ready to write: its JSON and the fields read from it, or why it
    cannot be compiled. Plain data, so a worker process can make it and send it."""

    ocid: str
    compiled: bytes | None  # JSON, UTF-8
    title: str | None
    buyer: str | None
    release_count: int
    warnings: list[str]
    error: str | None = None


_Batch = tuple[list[_Item], dict[str, _Process]]


_ProcessOf = Callable[[str, list[_Prepared]], tuple[_Process, dict[str, Any], list[dict[str, Any]]]]


def _build_process(
    ocid: str, releases: list[dict[str, Any]], schema_path: Path
) -> tuple[_Process, dict[str, Any], list[dict[str, Any]]]:
    """The process, its compiled release, and its releases in the order compiled."""
    if len(releases) > 1:  # the order compile_processes reads them in: date, then file
        releases = sorted(releases, key=lambda r: str(r.get("date") or "")[:40])
    try:
        compiled, said = compile_process(releases, schema_path)
    except ocdsmerge.exceptions.OCDSMergeError as exc:
        return _Process(ocid, None, None, None, len(releases), [], str(exc)), {}, releases
    tender = as_dict(compiled.get("tender"))
    title = compiled.get("title") or tender.get("title")
    name = as_dict(compiled.get("buyer")).get("name")
    process = _Process(
        ocid,
        orjson.dumps(compiled),
        str(title)[:500] if title else None,
        str(name) if name else None,
        len(releases),
        said,
    )
    return process, compiled, releases


def _compile_here(
    schema_path: Path, ocid: str, group: list[_Prepared]
) -> tuple[_Process, dict[str, Any], list[dict[str, Any]]]:
    return _build_process(ocid, [p.release for p in group if p.release is not None], schema_path)


def _compiled_there(
    processes: dict[str, _Process], ocid: str, group: list[_Prepared]
) -> tuple[_Process, dict[str, Any], list[dict[str, Any]]]:
    """A process the worker compiled, with its compiled release and releases parsed back (the
    award rules run here: the worker is the busier process)."""
    process = processes[ocid]
    releases = [orjson.loads(p.row[4]) for p in group]
    if len(releases) > 1:
        releases.sort(key=lambda r: str(r.get("date") or "")[:40])
    compiled = orjson.loads(process.compiled) if process.compiled is not None else {}
    return process, compiled, releases


class _Owners:
    """Which organisation holds a process: the buyer if it has an account, else the loader."""

    def __init__(self, session: Session, fallback: int | None) -> None:
        self.fallback = fallback
        self.names: dict[str, int] = {}
        for org in session.scalars(select(Organisation)):
            self.names[normalise_name(org.name)] = org.id
            if org.abbreviation:
                self.names.setdefault(normalise_name(org.abbreviation), org.id)

    def of(self, name: str | None) -> tuple[str | None, int | None]:
        """The buyer's name (``buyer.name`` of the compiled release) and its organisation."""
        if not name:
            return None, self.fallback
        return name[:300], self.names.get(normalise_name(name), self.fallback)


def _write_processes(session: Session, processes: list[_Process], owners: _Owners) -> None:
    existing = {
        ocid: pk
        for ocid, pk in session.connection().execute(
            _PROCESS_IDS, {"ocids": [p.ocid for p in processes]}
        )
    }
    new: list[tuple[Any, ...]] = []
    changed: list[dict[str, Any]] = []
    for process in processes:
        buyer, org = owners.of(process.buyer)
        ocid = process.ocid
        compiled = process.compiled.decode() if process.compiled is not None else None
        row = (ocid, process.title, buyer, org, process.release_count, compiled)
        if ocid in existing:
            changed.append({"id": existing[ocid], **dict(zip(PROCESS_COLUMNS, row, strict=True))})
        else:
            new.append(row)
    bulk_insert(session, table(OcdsProcess), PROCESS_COLUMNS, new)
    if changed:
        session.execute(update(OcdsProcess), changed)


def _write_awards(
    session: Session,
    processes: list[_Process],
    awards: dict[str, list[award_rules.AwardData]],
    owners: _Owners,
    register: Register,
    report: IngestReport,
) -> None:
    ocids = [p.ocid for p in processes]
    existing = {
        (ocid, award_id): pk
        for pk, ocid, award_id in session.connection().execute(_AWARD_IDS, {"ocids": ocids})
    }
    extracted = []
    for process in processes:
        buyer, org = owners.of(process.buyer)
        for data in awards[process.ocid]:
            extracted.append((process.ocid, buyer, org, data))
    if not extracted:
        return
    new_rows = [
        _award_row(*item) for item in extracted if (item[0], item[3].award_id) not in existing
    ]
    bulk_insert(session, table(Award), AWARD_COLUMNS, new_rows)
    changed = [
        {
            "id": existing[(o, d.award_id)],
            **dict(zip(AWARD_COLUMNS, _award_row(o, b, g, d), strict=True)),
        }
        for o, b, g, d in extracted
        if (o, d.award_id) in existing
    ]
    if changed:
        session.execute(update(Award), changed)
    if existing:
        session.execute(
            delete(AwardSupplier).where(AwardSupplier.award_id.in_(list(existing.values())))
        )
    # Every supplier of the batch resolved first, then written together (one flush).
    parts = [
        [
            (
                register.resolve(
                    str(part.party.get("name") or ""), party_identifier(part.party), flush=False
                ),
                part,
            )
            for part in data.suppliers
        ]
        for _, _, _, data in extracted
    ]
    session.flush()
    ids = (
        {
            (ocid, award_id): pk
            for pk, ocid, award_id in session.connection().execute(_AWARD_IDS, {"ocids": ocids})
        }
        if new_rows
        else existing
    )
    links: list[tuple[Any, ...]] = []
    named: list[tuple[Any, ...]] = []
    for (ocid, _, _, data), resolved in zip(extracted, parts, strict=True):
        award_pk = ids[(ocid, data.award_id)]
        merged: dict[int, list[Any]] = {}
        for supplier, part in resolved:
            link = merged.get(supplier.id)
            if link is None:  # the same supplier named twice: one link, the shares added up
                merged[supplier.id] = [
                    award_pk,
                    supplier.id,
                    part.share,
                    part.named_value,
                    part.removed,
                ]
            elif not part.removed:
                link[2] += part.share
                link[4] = False
                if part.named_value is not None:
                    link[3] = (link[3] or 0) + part.named_value
        links.extend(tuple(link) for link in merged.values())
        named.extend(_named_rows(session, register, award_pk, data))
    bulk_insert(session, table(AwardSupplier), LINK_COLUMNS, links)
    bulk_insert(session, table(NamedSubcontractor), NAMED_COLUMNS, named)
    report.awards += len(extracted)


def _award_row(
    ocid: str, buyer: str | None, org: int | None, data: award_rules.AwardData
) -> tuple[Any, ...]:
    return (
        ocid,
        data.award_id[:300],
        str(data.title)[:500] if data.title else None,
        buyer,
        org,
        data.status,
        data.award_date,
        data.financial_year,
        data.value,
        data.currency,
        data.agreement_reason is not None,
        data.agreement_reason,
        data.split_rule,
    )


def _named_rows(
    session: Session, register: Register, award_pk: int, data: award_rules.AwardData
) -> list[tuple[Any, ...]]:
    """Subcontractors named in the award (parties with the role "subcontractor")."""
    if not data.subcontractors or data.award_date is None:
        return []
    known = set(
        session.scalars(
            select(NamedSubcontractor.subcontractor_id).where(
                NamedSubcontractor.award_id == award_pk
            )
        )
    )
    rows = []
    for party in data.subcontractors:
        sub = register.resolve(str(party.get("name") or ""), party_identifier(party))
        if sub.id in known:
            continue
        known.add(sub.id)
        rows.append(
            (
                award_pk,
                sub.id,
                award_rules.money(
                    ((party.get("details") or {}).get("plannedValue") or {}).get("amount")
                ),
                data.award_date,
                NamedSource.AWARD,
                None,
                None,
            )
        )
    return rows


__all__ = ["ClassificationSource", "IngestReport", "Scale", "compile_processes", "ingest_ocds"]
