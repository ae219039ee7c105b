"""OCDS ingest throughput against `ocdskit compile`, in the same run, on the same input: the real
2025 Contracts Finder file replicated with fresh ocids (20,000 releases by default).

    python -m benchmarks.procurement_ingest [--releases 20000] [--sizes 5000,10000,20000]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Ours streams, validates every release offline (OCDS 1.1.5 schema), stores every raw release,
compiles every process and derives awards, suppliers and SME classifications into a fresh SQLite
database. The peer, `ocdskit compile --schema <local schema>`, only merges and prints the
compiled releases. Each run is a separate process, and its peak memory is its own high-water mark
(VmHWM: on Linux ru_maxrss carries over through fork and exec, so it would count this script's
memory too, as the figures recorded before 5 December 2026 did). Ours forks worker processes on
a machine with two processors or more (decision 0048); their largest peak is printed beside it,
counting the pages they share with the main process (so the sum overstates). The processors
available are printed: on one, ours runs in one process.
Prints releases per second, the ratio, and our peak memory at each size (it should stay flat).
Also prints what bounds the ratio: the CPU time of our main process and of its workers, and the
storage floor — the same raw and compiled JSON written into a fresh SQLite database with the
store's settings (WAL, synchronous NORMAL), the same unique keys, one transaction, and nothing
else — timed in the same run.
With ``--postgres`` (a server's maintenance database), ours also loads into a fresh PostgreSQL
database there, created and dropped by the benchmark (the store at scale; decision 0049).
Not a test: it never fails on speed.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "procurement"
SOURCE = DATA / "contracts_finder_2025_release_package.json"
SCHEMA = DATA / "ocds_release_schema_1.1.5.json"

OURS = """
import resource, sys, time
from pathlib import Path
from missionhub.accounts.permissions import Actor
from missionhub.db import migrate
from missionhub.db.session import Database
from missionhub.procurement.ingest import ingest_ocds
url, path, schema, warm = sys.argv[1:5]
migrate.upgrade(url)
db = Database(url)
with db.transaction(Actor.system("warm-up")) as session, open(warm, "rb") as f:
    ingest_ocds(session, actor=Actor.system("warm-up"), source=f, filename=warm,
                schema_path=Path(schema), parallel=True)  # imports and caches loaded before timing
def cpu(who):
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime
before = cpu(resource.RUSAGE_SELF), cpu(resource.RUSAGE_CHILDREN)
start = time.perf_counter()
with db.transaction(Actor.system("benchmark")) as session, open(path, "rb") as f:
    report = ingest_ocds(session, actor=Actor.system("benchmark"), source=f, filename=path,
                         schema_path=Path(schema), parallel=True)  # as the CLI loads
seconds = time.perf_counter() - start
main_cpu = cpu(resource.RUSAGE_SELF) - before[0]
workers_cpu = cpu(resource.RUSAGE_CHILDREN) - before[1]  # the forked workers, if any
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # shared pages included
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(f"cpu {main_cpu:.2f} {workers_cpu:.2f}")
print(seconds, report.new, peak, worker)
"""

FLOOR = """
import sqlite3, sys, time
import orjson
from pathlib import Path
from missionhub.procurement.merging import compile_process
from missionhub.procurement.ocds import read_path
path, schema, db = sys.argv[1:4]
raws, processes = [], {}
for release in read_path(Path(path)):
    raws.append((release["ocid"], release["id"], orjson.dumps(release).decode()))
    processes.setdefault(release["ocid"], []).append(release)
compiled = [(o, orjson.dumps(compile_process(r, Path(schema))[0]).decode())
            for o, r in processes.items()]
con = sqlite3.connect(db, isolation_level=None)
for pragma in ("journal_mode=WAL", "synchronous=NORMAL"):
    con.execute(f"PRAGMA {pragma}")
con.execute("CREATE TABLE r (id INTEGER PRIMARY KEY, ocid TEXT, rid TEXT, raw TEXT, "
            "UNIQUE (ocid, rid))")
con.execute("CREATE INDEX r_ocid ON r (ocid)")
con.execute("CREATE TABLE p (id INTEGER PRIMARY KEY, ocid TEXT UNIQUE, compiled TEXT)")
start = time.perf_counter()
con.execute("BEGIN")
con.executemany("INSERT INTO r (ocid, rid, raw) VALUES (?, ?, ?)", raws)
con.executemany("INSERT INTO p (ocid, compiled) VALUES (?, ?)", compiled)
con.execute("COMMIT")
print(time.perf_counter() - start, 0, 0, 0)
"""

PEER = """
import contextlib, io, sys, time
from ocdskit.__main__ import main
path, schema, out, warm = sys.argv[1:5]
sys.argv = ["ocdskit", "compile", "--schema", schema]
with open(warm, "rb") as f, open(out, "w") as sink:  # imports loaded before timing
    sys.stdin = io.TextIOWrapper(f, encoding="utf-8")
    with contextlib.redirect_stdout(sink):
        main()
start = time.perf_counter()
with open(path, "rb") as f, open(out, "w") as sink:
    sys.stdin = io.TextIOWrapper(f, encoding="utf-8")
    with contextlib.redirect_stdout(sink):
        main()
seconds = time.perf_counter() - start
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(seconds, 0, peak, 0, file=sys.__stdout__)
"""


def replicate(count: int, folder: Path) -> Path:
    """``count`` releases: the real ones, then copies of them with fresh ocids and ids."""
    package = json.loads(SOURCE.read_text(encoding="utf-8"))
    real = package["releases"]
    releases = []
    copy_number = 0
    while len(releases) < count:
        for release in real[: count - len(releases)]:
            item = copy.deepcopy(release)
            if copy_number:
                item["ocid"] = "ocds-b5fd17-" + str(
                    uuid.uuid5(uuid.NAMESPACE_URL, f"{release['ocid']}#{copy_number}")
                )
                item["id"] = f"{release['id']}-copy{copy_number}"
            releases.append(item)
        copy_number += 1
    package["releases"] = releases
    path = folder / f"releases-{count}.json"
    path.write_text(json.dumps(package), encoding="utf-8")
    return path


LAST_CPU: list[str] = []


def run(code: str, *args: str) -> tuple[float, int, int]:
    """Seconds, peak memory (MB) of the process, and of its worker processes (0 if none)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    lines = done.stdout.strip().splitlines()
    LAST_CPU[:] = [line.split(maxsplit=1)[1] for line in lines if line.startswith("cpu ")]
    seconds, _, rss, worker = lines[-1].split()
    return float(seconds), int(rss) // 1024, int(worker) // 1024


@contextlib.contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``, dropped afterwards."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"bench_ingest_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=20_000)
    parser.add_argument("--sizes", default="5000,10000,20000", help="sizes for the memory curve")
    parser.add_argument("--postgres", help="also load into a fresh database on this server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = replicate(args.releases, folder)
        warm = folder / "warm.json"
        one = json.loads(SOURCE.read_text(encoding="utf-8"))
        one["releases"] = [{**one["releases"][0], "ocid": "ocds-b5fd17-warm-up", "id": "warm"}]
        warm.write_text(json.dumps(one), encoding="utf-8")
        print(f"input: {args.releases:,} releases, {path.stat().st_size / 1e6:.1f} MB")
        print(
            f"processors available: {len(os.sched_getaffinity(0))}; ocdskit uses one process, "
            "missionhub one writing and one worker per processor reading, checking and "
            "compiling (decision 0048) where the file is 8 MB or more and there are two or more"
        )
        peer_s, peer_mb, _ = run(
            PEER, str(path), str(SCHEMA), str(folder / "compiled.json"), str(warm)
        )
        ours_s, ours_mb, ours_worker_mb = run(
            OURS, f"sqlite:///{folder / 'ours.db'}", str(path), str(SCHEMA), str(warm)
        )
        main_cpu, workers_cpu = (float(x) for x in LAST_CPU[0].split())
        floor_s, _, _ = run(FLOOR, str(path), str(SCHEMA), str(folder / "floor.db"))
        print(
            f"ocdskit compile : {peer_s:7.2f} s  {args.releases / peer_s:8,.0f} releases/s  "
            f"peak {peer_mb} MB"
        )
        print(
            f"missionhub      : {ours_s:7.2f} s  {args.releases / ours_s:8,.0f} releases/s  "
            f"peak {ours_mb} MB + worker {ours_worker_mb} MB  (validate + store + compile + derive)"
        )
        print(f"ratio           : {peer_s / ours_s:.2f}x ocdskit's releases per second")
        print(
            f"cpu (ours)      : main process {main_cpu:.2f} s, workers {workers_cpu:.2f} s, "
            f"sum {main_cpu + workers_cpu:.2f} s over {len(os.sched_getaffinity(0))} processors"
        )
        print(
            f"storage floor   : {floor_s:7.2f} s to write the raw and compiled JSON alone "
            f"(3x ocdskit needs the whole load in {peer_s / 3:.2f} s)"
        )
        if args.postgres:
            with fresh_postgres(args.postgres) as url:
                pg_s, pg_mb, pg_worker_mb = run(OURS, url, str(path), str(SCHEMA), str(warm))
            print(
                f"missionhub (PostgreSQL): {pg_s:7.2f} s  {args.releases / pg_s:8,.0f} "
                f"releases/s  peak {pg_mb} MB + worker {pg_worker_mb} MB  ratio "
                f"{peer_s / pg_s:.2f}x (the server's own work included; it shares the machine)"
            )
        print("memory as the input grows (missionhub):")
        for size in [int(s) for s in args.sizes.split(",") if s]:
            sized = replicate(size, folder)
            db = f"sqlite:///{folder / f'm{size}.db'}"
            seconds, mb, worker_mb = run(OURS, db, str(sized), str(SCHEMA), str(warm))
            print(f"  {size:>7,} releases: {seconds:6.2f} s, peak {mb} MB + worker {worker_mb} MB")


if __name__ == "__main__":
    main()
