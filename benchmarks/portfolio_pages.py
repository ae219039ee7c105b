"""Page speed under load: the public project list, a project page and the funnel page, with
10,000 projects in PostgreSQL, 50 concurrent clients for 30 s each, beside nginx serving the
very same rendered HTML as static files in the same run.

    python -m benchmarks.portfolio_pages [--projects 10000] [--seconds 30] [--connections 50]

Needs `wrk` and `nginx` (Debian packages; `make bench` installs them). Prints req/s, p50, p99
and errors for each, and the ratio to the static server. Not a test: it never fails on speed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from tests.conftest import create_pg_database, drop_pg_database

from benchmarks.portfolio_seed import seed
from missionhub.db import migrate
from missionhub.db.session import Database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


@dataclass
class Run:
    page: str
    server: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_app(
    database_url: str, workers: int, page_cache: bool, procs: list[subprocess.Popen[bytes]]
) -> str:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "MISSIONHUB_ENVIRONMENT": "production",
        "MISSIONHUB_SECRET_KEY": "benchmark-" + "k" * 40,
        "MISSIONHUB_RUN_WORKER_IN_PROCESS": "false",
        "MISSIONHUB_PAGE_CACHE_SECONDS": "1" if page_cache else "0",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "missionhub.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    procs.append(proc)  # stopped by the caller even if it never comes up
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/healthz")
    return url


def start_nginx(root: Path, workers: int, procs: list[subprocess.Popen[bytes]]) -> str:
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(f"""
worker_processes {workers};
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  default_type text/html;
  sendfile on;
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp; fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  server {{ listen 127.0.0.1:{port}; root {root}/html; }}
}}
""")
    (root / "tmp").mkdir(exist_ok=True)
    procs.append(subprocess.Popen(["nginx", "-c", str(conf), "-p", str(root)]))
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/projects.html")
    return url


def wrk(url: str, seconds: int, connections: int) -> tuple[float, float, float, int, int]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    p50 = _ms(re.search(r"50%\s+([\d.]+\w+)", out)[1])  # type: ignore[index]
    p99 = _ms(re.search(r"99%\s+([\d.]+\w+)", out)[1])  # type: ignore[index]
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p50, p99, errors + (int(non2xx[1]) if non2xx else 0), requests


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=10_000)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-page-cache", action="store_true", help="measure with the public page cache off"
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed (apt-get install wrk nginx-light)")

    url = create_pg_database("mh_bench")
    work = Path(tempfile.mkdtemp(prefix="mh-bench-"))
    procs: list[subprocess.Popen[bytes]] = []
    try:
        migrate.upgrade(url)
        started = time.perf_counter()
        db = Database(url)
        seed(db, args.projects)
        db.dispose()
        print(f"seeded {args.projects} projects in {time.perf_counter() - started:.1f}s")
        app_url = start_app(url, args.workers, not args.no_page_cache, procs)
        pages = {"projects": "/projects", "project": "/projects/5000", "funnel": "/funnel"}
        (work / "html").mkdir()
        for name, path in pages.items():
            response = httpx.get(app_url + path, timeout=30)
            response.raise_for_status()
            (work / "html" / f"{name}.html").write_bytes(response.content)
        static_url = start_nginx(work, args.workers, procs)
        runs = []
        for name, path in pages.items():
            for server, target in (
                ("mission hub", app_url + path),
                ("nginx static", f"{static_url}/{name}.html"),
            ):
                rps, p50, p99, errors, n = wrk(target, args.seconds, args.connections)
                runs.append(Run(name, server, rps, p50, p99, errors, n))
                print(
                    f"{name:9} {server:13} {rps:9.1f} req/s  p50 {p50:7.1f} ms  "
                    f"p99 {p99:8.1f} ms  errors {errors}"
                )
        print("\nratio (mission hub / static):")
        for name in pages:
            ours, peer = (r for r in runs if r.page == name)
            print(
                f"  {name:9} throughput {ours.requests_per_second / peer.requests_per_second:.3f}"
                f"   p50 {ours.p50_ms / peer.p50_ms:.1f}x"
            )
        RESULTS.mkdir(exist_ok=True)
        out = RESULTS / f"portfolio_pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
        out.write_text(
            json.dumps({"args": vars(args), "runs": [asdict(r) for r in runs]}, indent=2)
        )
        print(f"\nresults written to {out.relative_to(ROOT)}")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        drop_pg_database(url)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
