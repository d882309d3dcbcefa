"""/rates.csv: throughput vs a no-op route, 20 years x 5 currencies vs `sqlite3 -csv`, memory vs range.

Usage: .venv/bin/python bench/rates.py [--years 20] [--rounds 5] [--duration 5]
Needs `wrk` and the `sqlite3` shell (Debian: apt-get install wrk sqlite3). The database is a SQLite file
under bench/out/ (kept between runs). The server is gunicorn with one sync worker on bench/wsgi_bench.py
(the real app plus the no-op route /_bench/floor). Four aims, printed side by side at the end:
 (a) the default 30-day /rates.csv, warm (a byte-cache hit), in req/s >= 0.6 x the no-op floor (wrk);
 (b) the full history by day, cold, <= 3 x the time `sqlite3 -csv` takes to dump the same rows. It is
     over CACHE_MAX_ROWS (feedsvc/api/rates.py), so it is streamed and never comes from the byte cache;
 (c) the worker's peak memory (VmHWM from /proc) grows < 5 MiB for 1, 5 and 20 years, each measured on a
     fresh server so peaks don't carry over;
 (d) the full history by month, cold, <= 1.5 x (b). It is small enough to be cached, so the bench bumps
     the rates revision (the change marker, as every rate write does) before each request: a new ETag,
     a byte-cache miss;
 (e) ingest of one day's tables of the five central banks (NBKR daily and weekly), <= 100 ms on SQLite
     (bench/rates_ingest.py, which also runs alone);
 (f) RUB/KGS over the full history by day, cold (NBKR's own line on weekdays, a cross of currency-api's
     values on weekends), <= 1.5 x the same request for KGS/USD (the materialised X/USD lines);
 (g) one bank's whole table over the full history (source=nbk, its 39 codes in KZT, weekdays), cold,
     <= 3 x the time `sqlite3 -csv` takes to dump the same rows, and the worker's peak memory + < 5 MiB.
Rounds are interleaved (ours, then sqlite3's; floor, then rates): the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import socket
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
sys.path.insert(0, str(ROOT / "bench"))

from rates_ingest import AIM_MS  # noqa: E402
from rates_ingest import measure as measure_ingest  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from config import Config  # noqa: E402
from feedsvc.core.changes import bump_markers  # noqa: E402
from feedsvc.core.countries import RATES_SCOPE  # noqa: E402
from feedsvc.core.db import make_engine, upgrade_database  # noqa: E402
from feedsvc.core.models import RateObservation  # noqa: E402
from feedsvc.rates.served import default_priority, ensure_served, recompute_all  # noqa: E402

OUT = ROOT / "bench" / "out"
CURRENCIES = {"KZT": "450.123456", "KGS": "87.4766", "TJS": "10.9123", "TMT": "3.5", "UZS": "12194.21",
              "RUB": "81.25"}
SERVED = ("KZT", "KGS", "TJS", "TMT", "UZS")  # the default series: each bank's own currency per USD
# NBK's table as published (the recorded payload's 39 codes) and NBKR's daily one: values in KZT and KGS.
NBK_CODES = ("AUD", "AZN", "AMD", "BYN", "BRL", "HUF", "HKD", "GEL", "DKK", "AED", "USD", "EUR", "INR", "IRR",
             "CAD", "CNY", "KWD", "KGS", "MYR", "MXN", "MDL", "NOK", "PLN", "SAR", "RUB", "XDR", "SGD", "TJS",
             "THB", "TRY", "UZS", "UAH", "GBP", "CZK", "SEK", "CHF", "ZAR", "KRW", "JPY")
NBKR_CODES = {"USD": "87.4500", "EUR": "101.5076", "CNY": "12.8707", "KZT": "0.1859", "RUB": "1.2263"}
END = date(2025, 12, 31)
DUMP_SQL = ("SELECT date, currency, units_per_usd, source FROM rate_served WHERE currency IN "
            "('KZT', 'KGS', 'TJS', 'TMT', 'UZS') ORDER BY date, currency;")
TABLE_QUERY = "&source=nbk&pairs=" + ",".join(f"{code}/KZT" for code in NBK_CODES)
TABLE_SQL = ("SELECT date, currency, quote, nominal, value FROM rate_observations WHERE source = 'nbk' "
             "ORDER BY date, currency;")
AIMS = {"a": 0.6, "b": 3.0, "c": 5.0, "d": 1.5, "f": 1.5, "g": 3.0}


def fill(path: Path, years: int) -> int:
    """Create the bench database with daily observations of five currencies, served; return the row count."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_database(engine, Config({}).COUNTRIES)  # an older file gets rate_served from migration 0002
    start = END - timedelta(days=365 * years + years // 4 - 1)
    with Session(engine) as session, session.begin():
        count = session.scalar(select(func.count()).select_from(RateObservation))
        if count:  # a file of an older revision: what `feedsvc db upgrade` computes on it
            ensure_served(session, default_priority(), datetime.now(UTC))
            return count
        now, rows, day = datetime.now(UTC), [], start
        while day <= END:
            rows += day_rows(day, now)
            if len(rows) > 50_000:
                session.execute(insert(RateObservation), rows)
                count, rows = count + len(rows), []
            day += timedelta(days=1)
        session.execute(insert(RateObservation), rows)
        count += len(rows)
        recompute_all(session, default_priority())  # what ingest does as it writes
    engine.dispose()
    return count


def day_rows(day: date, now: datetime) -> list[dict[str, object]]:
    """One day's lines: currency-api every day; on weekdays NBK's whole table and NBKR's daily one."""
    wobble = Decimal(day.toordinal() % 97) / 1000  # a daily move, so change_pct is not always 0
    rows = [{"source": "currency-api", "date": day, "currency": "USD", "quote": currency,
             "value": Decimal(base) + wobble, "fetched_at": now} for currency, base in CURRENCIES.items()]
    if day.weekday() < 5:
        rows += [{"source": "nbk", "date": day, "currency": code, "quote": "KZT", "nominal": 1,
                  "value": Decimal(100 + i) + wobble / 10, "fetched_at": now}
                 for i, code in enumerate(NBK_CODES)]
        rows += [{"source": "nbkr", "date": day, "currency": code, "quote": "KGS", "nominal": 1,
                  "value": Decimal(value) + wobble / 100, "fetched_at": now}
                 for code, value in NBKR_CODES.items()]
    return rows


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """gunicorn, one sync worker, on the bench database; wait until it answers."""
    # The rate limit stays on (its hooks cost what they cost in production), too high for wrk to reach.
    env = {**os.environ, "FEEDSVC_DATABASE_URL": url, "FEEDSVC_SCHEDULER": "off",
           "FEEDSVC_LIMIT_RATES": "100000000/minute"}
    env.pop("FEEDSVC_CACHE_URL", None)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
         "--timeout", "300", "--log-level", "warning", "--pythonpath", f"{ROOT},{ROOT / 'bench'}",
         "wsgi_bench:app"], env=env, cwd=ROOT,
    )
    for _ in range(200):
        if server.poll() is not None:  # e.g. the port is taken: never measure someone else's server
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()  # noqa: S310
            if server.poll() is None:
                return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def free_port() -> int:
    """A TCP port nobody listens on now (other benches may run on the same machine)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker_peak_kib(server: subprocess.Popen[bytes]) -> int:
    """VmHWM (peak resident memory) of the gunicorn worker, the master's only child."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    status = Path(f"/proc/{children[0]}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM")))


def fetch(port: int, start: date, end: date, extra: str = "") -> tuple[float, int]:
    """Seconds and bytes of one /rates.csv download of every currency over [start, end]."""
    url = f"http://127.0.0.1:{port}/rates.csv?from={start}&to={end}{extra}"
    began = time.perf_counter()
    with urllib.request.urlopen(url, timeout=300) as response:  # noqa: S310
        size = sum(len(chunk) for chunk in iter(lambda: response.read(1 << 16), b""))
    return time.perf_counter() - began, size


def bump_revision(path: Path) -> None:
    """Advance the rates change marker, as a rate write does: every cached answer is stale."""
    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session, session.begin():
        bump_markers(session, [RATES_SCOPE], datetime.now(UTC))
    engine.dispose()


def run_wrk(url: str, duration: int) -> float:
    """Requests/s of one wrk run (1 thread, 8 connections); fails on any error answer."""
    command = ["wrk", "-t1", "-c8", f"-d{duration}s", url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses: \d+", output):
        raise SystemExit(f"errors while loading {url}:\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def time_sqlite(path: Path, sql: str = DUMP_SQL) -> tuple[float, int]:
    """Seconds and bytes of `sqlite3 -csv` dumping the same rows from the same file."""
    began = time.perf_counter()
    result = subprocess.run(["sqlite3", "-csv", str(path), sql], capture_output=True, check=True)
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
    """Fill, then measure (a) to (d) and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--port", type=int, help="default: a free one")
    parser.add_argument("--ingest-rounds", type=int, default=30, help="days ingested for (e)")
    args = parser.parse_args()
    args.port = args.port or free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"rates_{args.years}y_tables.sqlite3"
    rows = fill(path, args.years)
    first = END - timedelta(days=365 * args.years + args.years // 4 - 1)
    print(f"machine: {machine()}")
    print(f"rerun: .venv/bin/python bench/rates.py --years {args.years} --rounds {args.rounds} "
          f"--duration {args.duration}")
    print(f"database: {path.relative_to(ROOT)}, {rows} observations ({args.years} years: currency-api x 6 "
          f"a day, NBK x 39 and NBKR x 5 on weekdays); "
          f"gunicorn 1 sync worker; medians of {args.rounds} interleaved rounds")

    server = start_server(f"sqlite:///{path}", args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        fetch(args.port, END - timedelta(days=29), END)  # warm-up: imports, first connection, the cache
        floor, warm = [], []
        for _ in range(args.rounds):
            floor.append(run_wrk(f"{base}/_bench/floor", args.duration))
            warm.append(run_wrk(f"{base}/rates.csv", args.duration))
        ours, theirs, monthly = [], [], []
        for _ in range(args.rounds):
            ours.append(fetch(args.port, first, END))
            theirs.append(time_sqlite(path))
            bump_revision(path)
            monthly.append(fetch(args.port, first, END, "&group=month"))
        served_pair, any_pair, table, dump = [], [], [], []
        for _ in range(args.rounds):
            served_pair.append(fetch(args.port, first, END, "&pairs=KGS/USD"))
            any_pair.append(fetch(args.port, first, END, "&pairs=RUB/KGS"))
            table.append(fetch(args.port, first, END, TABLE_QUERY))
            dump.append(time_sqlite(path, TABLE_SQL))
    finally:
        server.terminate()
        server.wait()
    floor_rps, warm_rps = statistics.median(floor), statistics.median(warm)
    ours_s, theirs_s = statistics.median(t for t, _ in ours), statistics.median(t for t, _ in theirs)
    month_s = statistics.median(t for t, _ in monthly)
    print(f"(a) no-op floor {floor_rps:.0f} req/s; default 30-day /rates.csv, warm: {warm_rps:.0f} req/s")
    print(f"(b) /rates.csv full range by day, cold: {ours_s:.3f} s, {ours[0][1] / 1e6:.1f} MB "
          f"({ours[0][1] / 1e6 / ours_s:.1f} MB/s); sqlite3 -csv same rows: {theirs_s:.3f} s, "
          f"{theirs[0][1] / 1e6:.1f} MB")
    print(f"(d) /rates.csv full range by month, cold (revision bumped): {month_s:.3f} s, "
          f"{monthly[0][1] / 1e3:.0f} kB")

    print("(c) worker peak memory (VmHWM) after one download, fresh server per range:")
    growth = []
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
        growth.append((after - before) / 1024)
        print(f"  {years:>2} years: {size / 1e6:6.1f} MB in {seconds:5.2f} s; peak {before / 1024:.1f} MiB "
              f"after warm-up -> {after / 1024:.1f} MiB (+{(after - before) / 1024:.1f})")

    print("peak RSS growth in a fresh process serving one download (werkzeug, no gunicorn):")
    for years in (1, 5, args.years):
        start = END - timedelta(days=365 * years - 1)
        default, capped = child_rss_delta(path, start, None), child_rss_delta(path, start, 20)
        print(f"  {years:>2} years: +{default / 1024:.1f} MiB; with SQLite's page cache capped at 20 pages "
              f"+{capped / 1024:.1f} MiB")

    server = start_server(f"sqlite:///{path}", args.port)
    try:
        fetch(args.port, END - timedelta(days=29), END)
        before = worker_peak_kib(server)
        fetch(args.port, first, END, TABLE_QUERY)
        table_growth = (worker_peak_kib(server) - before) / 1024
    finally:
        server.terminate()
        server.wait()
    pair_s, served_s = statistics.median(t for t, _ in any_pair), statistics.median(t for t, _ in served_pair)
    table_s, dump_s = statistics.median(t for t, _ in table), statistics.median(t for t, _ in dump)
    print(f"(f) RUB/KGS full range by day, cold: {pair_s:.3f} s, {any_pair[0][1] / 1e6:.2f} MB; "
          f"KGS/USD the same: {served_s:.3f} s, {served_pair[0][1] / 1e6:.2f} MB")
    print(f"(g) NBK's whole table (source=nbk, {len(NBK_CODES)} pairs), full range, cold: {table_s:.3f} s, "
          f"{table[0][1] / 1e6:.1f} MB; sqlite3 -csv same rows: {dump_s:.3f} s, {dump[0][1] / 1e6:.1f} MB; "
          f"worker peak memory +{table_growth:.1f} MiB")

    ingest_ms, ingest_cpu, ingest_lines, lines_ms, lines_cpu = measure_ingest(args.ingest_rounds)
    print(f"(e) ingest of one day's bank tables ({ingest_lines} lines): {ingest_ms:.1f} ms wall clock, "
          f"{ingest_cpu:.1f} ms CPU; then the pairs' stored lines refreshed after each commit (as the jobs "
          f"do): {lines_ms:.1f} ms wall clock, {lines_cpu:.1f} ms CPU")
    print("aims, side by side:")
    verdicts = [
        ("a", "warm 30-day /rates.csv : floor (req/s)", warm_rps / floor_rps, f">= {AIMS['a']}x",
         warm_rps / floor_rps >= AIMS["a"]),
        ("b", "full history cold : sqlite3 -csv (time)", ours_s / theirs_s, f"<= {AIMS['b']}x",
         ours_s / theirs_s <= AIMS["b"]),
        ("c", "peak memory growth, largest (MiB)", max(growth), f"< +{AIMS['c']} MiB",
         max(growth) < AIMS["c"]),
        ("d", "by month cold : (b) by day (time)", month_s / ours_s, f"<= {AIMS['d']}x",
         month_s / ours_s <= AIMS["d"]),
        ("e", "one day's bank tables ingested (ms)", ingest_ms, f"<= {AIM_MS:g} ms", ingest_ms <= AIM_MS),
        ("f", "RUB/KGS : KGS/USD, full history (time)", pair_s / served_s, f"<= {AIMS['f']}x",
         pair_s / served_s <= AIMS["f"]),
        ("g", "one bank's table : sqlite3 -csv (time)", table_s / dump_s, f"<= {AIMS['g']}x",
         table_s / dump_s <= AIMS["g"]),
        ("g", "one bank's table, peak memory (MiB)", table_growth, f"< +{AIMS['c']} MiB",
         table_growth < AIMS["c"]),
    ]
    for key, name, value, aim, met in verdicts:
        print(f"  ({key}) {name:<42} {value:6.2f}   aim {aim:<10} {'ok' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
