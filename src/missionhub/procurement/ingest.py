"""Ingest OCDS: stream releases, validate each offline, keep every raw release, compile each
contracting process with ocdsmerge, and derive awards, suppliers and SME classifications.

Idempotent on (ocid, release id): a release already stored is skipped. A file goes in whole or
not at all: the caller's transaction is rolled back when :class:`Invalid` is raised, unless
``keep_valid`` is set, in which case invalid releases are left out and listed in the report.
Memory is bounded: releases are written in batches, and processes compiled a batch at a time.
Releases are checked, and processes compiled with their awards, by ``preparing`` (pure); with
two processors or more and a file of ``workers.WORKER_MIN_BYTES`` or more, forked worker
processes do that while this process writes (docs/decisions/0048-ingest-preparers.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import Connection, bindparam, delete, func, select, update
from sqlalchemy.orm import Session

from missionhub.accounts.models import Organisation, Role
from missionhub.accounts.permissions import Actor, require
from missionhub.db.bulk import bulk_insert
from missionhub.errors import FieldError, Invalid
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
from missionhub.procurement.ocds import OcdsFileError, Problem, ReleaseChecker, read_indexed
from missionhub.procurement.preparing import (
    BATCH,
    AwardFacts,
    Batch,
    Item,
    Prepared,
    Preparer,
    Process,
    build_process,
    fewer_collections,
    repeated,
)
from missionhub.procurement.suppliers import Register, normalise_name
from missionhub.procurement.workers import prepared_elsewhere, workers_for

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
_LAST_AWARD = select(func.max(Award.id))
_AWARDS_AFTER = select(Award.id, Award.ocid, Award.award_id).where(Award.id > bindparam("floor"))
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
    """Load ``source`` whole or not at all. ``parallel`` lets forked workers read, check and
    compile (see ``workers.workers_for``): only for a caller whose other threads hold no lock
    the workers could need (the CLI, the benchmark), never the web process (decision 0047)."""
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
            parts = workers_for(source, encoding) if parallel else 0
            if parts:
                with closing(
                    prepared_elsewhere(
                        source, encoding, loader.checker, keep_valid, schema_path, parts
                    )
                ) as batches:
                    loader.load(batches, progress)
            else:
                preparer = Preparer(loader.checker, keep_valid, schema_path, eager=False)
                loader.load(preparer.batches(read_indexed(source, encoding=encoding)), progress)
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


# Phase one: store the checked releases -------------------------------------------------------


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
        self.seen: dict[tuple[str, str], int] = {}  # each key's digest, for repeats
        self.compiler = _Compiler(session, schema_path, organisation_id, self.register, report)
        self.observations: list[tuple[Supplier, tuple[Any, ...]]] = []
        self.has_history = session.connection().execute(_ANY_RELEASE).first() is not None

    def load(self, batches: Iterable[Batch], progress: Progress | None) -> None:
        """Store checked batches, in file order, with the processes first seen in each (made in
        this process or by workers: see ``preparing`` and ``workers``)."""
        for items, processes in batches:
            self._take(items, processes, progress)
        self.compiler.flush()
        self._write_observations()

    def _take(
        self, items: list[Item], processes: Mapping[str, Process], progress: Progress | None
    ) -> None:
        batch: list[Prepared] = []
        for item in items:
            self.report.read += 1
            self.report.warnings.extend(w.as_dict() for w in item.warnings)
            if item.errors:
                self._reject(item.errors)
            elif item.prepared is not None and self._first(item.prepared):
                batch.append(item.prepared)
        if batch:
            self._store(batch, processes)
        if progress:
            progress(self.report.read, f"{self.report.read:,} releases read")

    def _first(self, prepared: Prepared) -> bool:
        """Whether to store a release: the first with its key in the file (a repeat with the
        same content is dropped, with other content it is an error). Decided here, in file
        order, since a worker sees only its own batches."""
        if self.errors and not self.keep_valid:
            return False  # the file will be refused: repeats are no longer looked for
        digest = self.seen.get(prepared.key)
        if digest is None:
            self.seen[prepared.key] = prepared.digest
            return True
        if digest != prepared.digest:
            self._reject([repeated(prepared.key)])
        return False

    def _reject(self, problems: list[Problem]) -> None:
        self.errors.extend(problems)
        if self.keep_valid:
            self.report.rejected.extend(p.as_dict() for p in problems)

    def _store(self, batch: list[Prepared], processes: Mapping[str, Process]) -> None:
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
        fresh: dict[str, None] = {}  # processes first seen in this batch, in file order
        record_id = self.record.id
        for prepared in batch:
            key = prepared.key
            if key in stored:
                self.report.existing += 1
                continue
            if key[0] in history or key[0] in self.file_ocids:
                self.touched.add(key[0])  # compiled from all its stored releases afterwards
            else:
                fresh[key[0]] = None
            row = prepared.row
            rows.append((row[0], row[1], row[2], row[3], row[4].decode(), record_id))
            self._observe(prepared)
        self.file_ocids.update(fresh)
        bulk_insert(self.session, table(OcdsRelease), RELEASE_COLUMNS, rows)
        self.report.new += len(rows)
        for ocid in fresh:  # compiled from exactly the releases stored here
            self.compiler.add_process(processes[ocid])

    def _observe(self, prepared: Prepared) -> None:
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
    """Writes compiled processes and their awards, a batch at a time."""

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
        self.processes: dict[str, Process] = {}
        self.done: set[str] = set()
        self.stored: set[str] = set()  # processes that may already have rows (recompiled)

    def add(self, ocid: str, releases: list[dict[str, Any]]) -> None:
        """A process compiled again from all its stored releases (it may have rows)."""
        self.stored.add(ocid)
        self.add_process(build_process(ocid, releases, self.schema_path))

    def add_process(self, process: Process) -> None:
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
        if len(self.processes) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.processes:
            return
        processes = list(self.processes.values())
        # A process first seen in this load has no rows yet: nothing to look up.
        stored = not self.stored.isdisjoint(self.processes)
        _write_processes(self.session, processes, self.owners, stored)
        _write_awards(self.session, processes, self.owners, self.register, self.report, stored)
        self.report.compiled += len(processes)
        self.done.update(self.processes)
        self.processes = {}


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


def _write_processes(
    session: Session, processes: list[Process], owners: _Owners, stored: bool
) -> None:
    existing = (
        {
            ocid: pk
            for ocid, pk in session.connection().execute(
                _PROCESS_IDS, {"ocids": [p.ocid for p in processes]}
            )
        }
        if stored
        else {}
    )
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
    processes: list[Process],
    owners: _Owners,
    register: Register,
    report: IngestReport,
    stored: bool,
) -> None:
    ocids = [p.ocid for p in processes]
    connection = session.connection()
    existing = (
        {
            (ocid, award_id): pk
            for pk, ocid, award_id in connection.execute(_AWARD_IDS, {"ocids": ocids})
        }
        if stored
        else {}
    )
    extracted = []
    for process in processes:
        buyer, org = owners.of(process.buyer)
        for facts in process.awards:
            extracted.append((process.ocid, buyer, org, facts))
    if not extracted:
        return
    new_rows = [
        _award_row(*item) for item in extracted if (item[0], item[3].award_id) not in existing
    ]
    floor = connection.execute(_LAST_AWARD).scalar() or 0
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
    resolved = [
        [
            (register.resolve(name, identifier, flush=False), share, named, removed)
            for (name, identifier), share, named, removed in facts.suppliers
        ]
        for _, _, _, facts in extracted
    ]
    session.flush()
    ids = dict(existing)
    if new_rows:
        ids.update(_new_award_ids(connection, {(row[0], row[1]) for row in new_rows}, floor))
    links: list[tuple[Any, ...]] = []
    named: list[tuple[Any, ...]] = []
    for (ocid, _, _, facts), suppliers in zip(extracted, resolved, strict=True):
        award_pk = ids[(ocid, facts.award_id)]
        links.extend(_links(award_pk, suppliers))
        named.extend(_named_rows(session, register, award_pk, facts))
    bulk_insert(session, table(AwardSupplier), LINK_COLUMNS, links)
    bulk_insert(session, table(NamedSubcontractor), NAMED_COLUMNS, named)
    report.awards += len(extracted)


def _new_award_ids(
    connection: Connection, wanted: set[tuple[str, str]], floor: int
) -> dict[tuple[str, str], int]:
    """The ids of the awards just written: those above the last id before them (a range on the
    primary key; looking them up by 500 ocids scanned the table on PostgreSQL, decision 0049),
    and by ocid any that a sequence handed out below it."""
    found = {
        (ocid, award_id): pk
        for pk, ocid, award_id in connection.execute(_AWARDS_AFTER, {"floor": floor})
        if (ocid, award_id) in wanted
    }
    if len(found) < len(wanted):
        ocids = sorted({ocid for ocid, _ in wanted - found.keys()})
        for pk, ocid, award_id in connection.execute(_AWARD_IDS, {"ocids": ocids}):
            if (ocid, award_id) in wanted:
                found[(ocid, award_id)] = pk
    return found


def _links(
    award_pk: int, suppliers: list[tuple[Supplier, Decimal, Decimal | None, bool]]
) -> list[tuple[Any, ...]]:
    """One link per supplier of an award: the same supplier named twice has its shares added."""
    merged: dict[int, list[Any]] = {}
    for supplier, share, named_value, removed in suppliers:
        link = merged.get(supplier.id)
        if link is None:
            merged[supplier.id] = [award_pk, supplier.id, share, named_value, removed]
        elif not removed:
            link[2] += share
            link[4] = False
            if named_value is not None:
                link[3] = (link[3] or 0) + named_value
    return [tuple(link) for link in merged.values()]


def _award_row(ocid: str, buyer: str | None, org: int | None, facts: AwardFacts) -> tuple[Any, ...]:
    return (
        ocid,
        facts.award_id[:300],
        str(facts.title)[:500] if facts.title else None,
        buyer,
        org,
        facts.status,
        facts.award_date,
        facts.financial_year,
        facts.value,
        facts.currency,
        facts.agreement_reason is not None,
        facts.agreement_reason,
        facts.split_rule,
    )


def _named_rows(
    session: Session, register: Register, award_pk: int, facts: AwardFacts
) -> list[tuple[Any, ...]]:
    """Subcontractors named in the award (parties with the role "subcontractor")."""
    if not facts.subcontractors or facts.award_date is None:
        return []
    known = set(
        session.scalars(
            select(NamedSubcontractor.subcontractor_id).where(
                NamedSubcontractor.award_id == award_pk
            )
        )
    )
    rows = []
    for (name, identifier), planned in facts.subcontractors:
        sub = register.resolve(name, identifier)
        if sub.id in known:
            continue
        known.add(sub.id)
        rows.append((award_pk, sub.id, planned, facts.award_date, NamedSource.AWARD, None, None))
    return rows


__all__ = ["ClassificationSource", "IngestReport", "Scale", "compile_processes", "ingest_ocds"]
