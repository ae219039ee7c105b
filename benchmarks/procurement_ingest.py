"""OCDS ingest throughput against `ocdskit compile`, in the same run, on the same input: the real
2025 Contracts Finder file replicated with fresh ocids (20,000 releases by default).

    python -m benchmarks.procurement_ingest [--releases 20000] [--sizes 5000,10000,20000]

Ours streams, validates every release offline (OCDS 1.1.5 schema), stores every raw release,
compiles every process and derives awards, suppliers and SME classifications into a fresh SQLite
database. The peer, `ocdskit compile --schema <local schema>`, only merges and prints the
compiled releases. Each run is a separate process, so its peak memory (max RSS) is its own; ours
forks one worker process on a machine with two processors or more (decision 0047), whose peak is
printed beside it (forked, it shares the main process's pages until it writes them, so the sum
overstates). The processors available are printed: on one, ours runs in one process.
Prints releases per second, the ratio, and our peak memory at each size (it should stay flat).
Not a test: it never fails on speed.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import uuid
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
start = time.perf_counter()
with db.transaction(Actor.system("benchmark")) as session, open(path, "rb") as f:
    report = ingest_ocds(session, actor=Actor.system("benchmark"), source=f, filename=path,
                         schema_path=Path(schema), parallel=True)  # as the CLI loads
seconds = time.perf_counter() - start
worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the forked worker, if any
print(seconds, report.new, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, worker)
"""

PEER = """
import contextlib, io, resource, sys, time
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
print(seconds, 0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 0, file=sys.__stdout__)
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


def run(code: str, *args: str) -> tuple[float, int, int]:
    """Seconds, peak memory (MB) of the process, and of its worker process (0 if none)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    seconds, _, rss, worker = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(rss) // 1024, int(worker) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--releases", type=int, default=20_000)
    parser.add_argument("--sizes", default="5000,10000,20000", help="sizes for the memory curve")
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
            "missionhub two (a worker reads, checks and compiles while the main process writes; "
            "decision 0047) where the file is 8 MB or more and there are two processors"
        )
        peer_s, peer_mb, _ = run(
            PEER, str(path), str(SCHEMA), str(folder / "compiled.json"), str(warm)
        )
        ours_s, ours_mb, ours_worker_mb = run(
            OURS, f"sqlite:///{folder / 'ours.db'}", str(path), str(SCHEMA), str(warm)
        )
        print(
            f"ocdskit compile : {peer_s:7.2f} s  {args.releases / peer_s:8,.0f} releases/s  "
            f"peak {peer_mb} MB"
        )
        print(
            f"missionhub      : {ours_s:7.2f} s  {args.releases / ours_s:8,.0f} releases/s  "
            f"peak {ours_mb} MB + worker {ours_worker_mb} MB  (validate + store + compile + derive)"
        )
        print(f"ratio           : {peer_s / ours_s:.2f}x ocdskit's releases per second")
        print("memory as the input grows (missionhub):")
        for size in [int(s) for s in args.sizes.split(",") if s]:
            sized = replicate(size, folder)
            db = f"sqlite:///{folder / f'm{size}.db'}"
            seconds, mb, worker_mb = run(OURS, db, str(sized), str(SCHEMA), str(warm))
            print(f"  {size:>7,} releases: {seconds:6.2f} s, peak {mb} MB + worker {worker_mb} MB")


if __name__ == "__main__":
    main()
