"""/rates.csv over 20 years x 5 currencies: time against `sqlite3 -csv`, and worker memory vs range.

Usage: .venv/bin/python bench/rates.py [--years 20] [--rounds 3]
Needs the `sqlite3` shell (Debian: apt-get install sqlite3). The database is a SQLite file under
bench/out/ (kept between runs). The server is gunicorn with one sync worker; the worker's peak memory is
its VmHWM from /proc after the request, measured on a fresh server for each range so peaks don't carry over.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from config import Config  # noqa: E402
from feedsvc.db import make_engine, upgrade_database  # noqa: E402
from feedsvc.models import RateObservation  # noqa: E402
from feedsvc.rates.served import default_priority, recompute_all  # noqa: E402

OUT = ROOT / "bench" / "out"
CURRENCIES = {"KZT": "450.123456", "KGS": "87.4766", "TJS": "10.9123", "TMT": "3.5", "UZS": "12194.21"}
END = date(2025, 12, 31)
DUMP_SQL = "SELECT date, currency, units_per_usd, source FROM rate_served ORDER BY date, currency;"


def fill(path: Path, years: int) -> int:
    """Create the bench database with daily observations of five currencies, served; return the row count."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_database(engine, Config({}).COUNTRIES)  # an older file gets rate_served from migration 0002
    start = END - timedelta(days=365 * years + years // 4 - 1)
    with Session(engine) as session, session.begin():
        count = session.scalar(select(func.count()).select_from(RateObservation))
        if count:
            return count
        now, rows, day = datetime.now(UTC), [], start
        while day <= END:
            wobble = Decimal(day.toordinal() % 97) / 1000  # a daily move, so change_pct is not always 0
            for currency, base in CURRENCIES.items():
                rows.append({"source": "currency-api", "date": day, "currency": currency,
                             "units_per_usd": Decimal(base) + wobble, "fetched_at": now})
            day += timedelta(days=1)
        session.execute(insert(RateObservation), rows)
        recompute_all(session, default_priority())  # what ingest does as it writes
    engine.dispose()
    return len(rows)


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """gunicorn, one sync worker, on the bench database; wait until it answers."""
    env = {**os.environ, "FEEDSVC_DATABASE_URL": url, "FEEDSVC_SCHEDULER": "off"}
    env.pop("FEEDSVC_CACHE_URL", None)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--timeout", "300", "--log-level", "warning", "wsgi:app"], env=env, cwd=ROOT,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()  # noqa: S310
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def worker_peak_kib(server: subprocess.Popen[bytes]) -> int:
    """VmHWM (peak resident memory) of the gunicorn worker, the master's only child."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


def fetch(port: int, start: date, end: date) -> tuple[float, int]:
    """Seconds and bytes of one /rates.csv download of every currency over [start, end]."""
    url = f"http://127.0.0.1:{port}/rates.csv?from={start}&to={end}"
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310
        size = sum(len(chunk) for chunk in iter(lambda: response.read(1 << 16), b""))
    return time.perf_counter() - began, size


def time_sqlite(path: Path) -> tuple[float, int]:
    """Seconds and bytes of `sqlite3 -csv` dumping the same rows from the same file."""
    began = time.perf_counter()
    result = subprocess.run(["sqlite3", "-csv", str(path), DUMP_SQL], capture_output=True, check=True)
    return time.perf_counter() - began, len(result.stdout)


def child_rss_delta(path: Path, start: date, page_cache_pages: int | None) -> int:
    """In a fresh process: KiB the peak RSS grows by while serving one /rates.csv from ``start``.

    With ``page_cache_pages`` SQLite's page cache is capped that low, to tell our memory from its cache
    (by default up to 2 MiB per connection, filled by the pages a long range reads).
    """
    code = f"""
import resource, sys
sys.path.insert(0, {str(ROOT)!r})
from sqlalchemy import event
from config import TestConfig
from feedsvc import create_app
app = create_app(TestConfig(DATABASE_URL={f"sqlite:///{path}"!r}))
if {page_cache_pages!r}:
    event.listen(app.extensions["feedsvc.engine"], "connect",
                 lambda c, r: c.execute("PRAGMA cache_size={page_cache_pages}"))
client = app.test_client()
def run(start):
    response = client.get(f"/rates.csv?from={{start}}&to={END}", buffered=False)
    sum(len(chunk) for chunk in response.response)
    response.close()
run({str(END - timedelta(days=29))!r})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run({str(start)!r})
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    return int(result.stdout.split()[-1])


def machine() -> str:
    """CPU model, core count, OS and Python version."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main() -> None:
    """Fill, then time the full range and measure memory at 1, 5 and 20 years."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"rates_{args.years}y.sqlite3"
    rows = fill(path, args.years)
    first = END - timedelta(days=365 * args.years + args.years // 4 - 1)
    print(f"machine: {machine()}")
    print(f"database: {path.relative_to(ROOT)}, {rows} observations ({args.years} years x 5 currencies)")

    server = start_server(f"sqlite:///{path}", args.port)
    try:
        fetch(args.port, END - timedelta(days=29), END)  # warm-up: imports, first connection
        ours = [fetch(args.port, first, END) for _ in range(args.rounds)]
    finally:
        server.terminate()
        server.wait()
    theirs = [time_sqlite(path) for _ in range(args.rounds)]
    ours_s, theirs_s = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
    print(f"/rates.csv full range: median {ours_s:.2f} s, {ours[0][1] / 1e6:.1f} MB "
          f"({ours[0][1] / 1e6 / ours_s:.1f} MB/s)")
    print(f"sqlite3 -csv same rows: median {theirs_s:.2f} s, {theirs[0][1] / 1e6:.1f} MB")
    print(f"ratio /rates.csv : sqlite3 -csv = {ours_s / theirs_s:.1f}x")

    print("worker peak memory (VmHWM) after one download, fresh server per range:")
    for years in (1, 5, args.years):
        server = start_server(f"sqlite:///{path}", args.port)
        try:
            fetch(args.port, END - timedelta(days=29), END)
            before = worker_peak_kib(server)
            seconds, size = fetch(args.port, END - timedelta(days=365 * years - 1), END)
            after = worker_peak_kib(server)
        finally:
            server.terminate()
            server.wait()
        print(f"  {years:>2} years: {size / 1e6:6.1f} MB in {seconds:5.2f} s; peak {before / 1024:.1f} MiB "
              f"after warm-up -> {after / 1024:.1f} MiB (+{(after - before) / 1024:.1f})")

    print("peak RSS growth in a fresh process serving one download (werkzeug, no gunicorn):")
    for years in (1, 5, args.years):
        start = END - timedelta(days=365 * years - 1)
        default, capped = child_rss_delta(path, start, None), child_rss_delta(path, start, 20)
        print(f"  {years:>2} years: +{default / 1024:.1f} MiB; with SQLite's page cache capped at 20 pages "
              f"+{capped / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
