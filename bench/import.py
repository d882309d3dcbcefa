"""`feedsvc articles import` of N NDJSON lines into a fresh SQLite file (or PostgreSQL) beside a bulk INSERT.

Usage: .venv/bin/python bench/import.py [--n 100000] [--batch-size 1000] [--jobs NPROC]
           [--postgres-url postgresql://postgres@127.0.0.1:5432/DB]
Files go to bench/out/ (the NDJSON file is kept between runs of the same N). The import runs the real CLI
in a subprocess (`feedsvc articles import FILE`), then again on the same file (a rerun: nothing changes).
The floor is one `executemany` INSERT per table of the rows that import stored (articles, their country
and tag links), read back from its database, into a second fresh file with the same schema, in one
transaction: what a loader that validates and cleans nothing would cost; once with the FTS5 insert trigger,
once indexing per batch as the import does. Aim: import >= 2,000 articles/s.
With --postgres-url, the import goes into that PostgreSQL database instead (its public schema is dropped
and made anew; the server must run on this machine): the import, its rerun, and the CPU the server spent,
read from /proc; no floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from config import Config  # noqa: E402
from feedsvc.core.db import make_engine, upgrade_database  # noqa: E402

OUT = ROOT / "bench" / "out"
AIM = 2000
CORES = len(os.sched_getaffinity(0))
COUNTRIES = ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"]
TOPICS = ["energy", "water", "transport", "trade", "banking", "agriculture", "mining", "health",
          "education", "elections", "diplomacy", "tourism", "sport", "culture", "media", "technology",
          "construction", "climate", "migration", "currency"]
WORDS = ["reservoir", "levels", "rise", "spring", "inflows", "upper", "cascade", "operators", "reported",
         "higher", "april", "ministry", "announced", "tender", "railway", "corridor", "border", "crossing",
         "freight", "volumes", "grain", "harvest", "central", "bank", "policy", "rate", "inflation",
         "parliament", "approved", "budget", "gas", "pipeline", "capacity", "tariffs", "exports"]
TABLES = ("tags", "articles", "article_countries", "article_tags")
INDEX_RANGE = ("INSERT INTO article_search(rowid, title, summary, body_text) "
               "SELECT id, title, summary, body_text FROM articles WHERE id BETWEEN ? AND ?")


def sentence(rng: random.Random, words: int) -> str:
    """A capitalised run of words."""
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def make_line(rng: random.Random, number: int, start: datetime) -> str:
    """One realistic article line in the export's schema, with some markup and entities."""
    paragraphs = "".join(
        f"<p>{sentence(rng, 30)}. See <a href=\"https://example.org/n/{number}/{k}\">the report</a>"
        f" &amp; {sentence(rng, 12)}.</p>" for k in range(rng.randint(3, 6))
    )
    data = {
        "external_id": f"wire-{number}",
        "title": f"{sentence(rng, rng.randint(5, 11))} ({number})",
        "summary": f"{sentence(rng, 25)} &mdash; <b>{sentence(rng, 6)}</b>.",
        "content_html": paragraphs,
        "countries": rng.sample(COUNTRIES, rng.choice([1, 1, 1, 2])),
        "tags": rng.sample(TOPICS, rng.randint(0, 3)),
        "author": rng.choice(["Economy desk <economy@example.org>", "Staff", "A. Reporter"]),
        "image_url": f"https://img.example.org/{number}.jpg",
        "source_url": f"https://example.org/n/{number}",
        "language": rng.choice(["en", "en", "ru", "kk"]),
        "published_at": (start + timedelta(minutes=7 * number)).isoformat().replace("+00:00", "Z"),
    }
    return json.dumps(data, ensure_ascii=False)


def write_lines(path: Path, n: int) -> None:
    """The NDJSON file of ``n`` lines (deterministic; kept between runs)."""
    if path.exists():
        return
    rng, start = random.Random(12), datetime(2015, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, n + 1):
            out.write(make_line(rng, number, start) + "\n")


def fresh_database(path: Path) -> str:
    """A new SQLite file migrated to the current schema, countries seeded; its URL."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_database(engine, Config({}).COUNTRIES)
    engine.dispose()
    return url


def fresh_postgres(url: str) -> str:
    """The PostgreSQL database at ``url`` emptied (its public schema dropped) and migrated; its URL."""
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade_database(engine, Config({}).COUNTRIES)
    engine.dispose()
    return url


def busy_cpu() -> float:
    """CPU seconds this machine has spent on anything but idling, from /proc/stat."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")  # less idle and iowait


def cpu_of_children() -> float:
    """User + system CPU seconds of the children waited for so far (their workers included)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_import(url: str, source: Path, batch_size: int, jobs: int) -> tuple[float, float, str]:
    """Wall and CPU seconds of `feedsvc articles import` in a subprocess (start-up included), its summary."""
    env = {**os.environ, "FEEDSVC_DATABASE_URL": url}
    command = [str(ROOT / ".venv" / "bin" / "feedsvc"), "articles", "import", "--batch-size",
               str(batch_size), "--jobs", str(jobs), str(source)]
    cpu, began = cpu_of_children(), time.perf_counter()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - began, cpu_of_children() - cpu
    if result.returncode != 0:
        raise SystemExit(f"import failed ({result.returncode}): {result.stderr[-2000:]}")
    return seconds, cpu, result.stdout.strip()


def bulk_insert(imported: Path, target: Path, batch: int | None = None) -> tuple[float, int]:
    """Seconds to executemany-INSERT the imported rows into a fresh copy of the schema; article count.

    ``batch``: the articles' FTS5 index written as the import writes it, by one INSERT ... SELECT per
    ``batch`` articles instead of the insert trigger row by row.
    """
    fresh_database(target)
    with sqlite3.connect(imported) as source:
        rows = {table: source.execute(f"SELECT * FROM {table}").fetchall() for table in TABLES}
    connection = sqlite3.connect(target)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA journal_mode=WAL")
    if batch:
        connection.execute("DROP TRIGGER article_search_insert")  # schema only: a scratch copy
    began = time.perf_counter()
    with connection:
        for table in TABLES:
            marks = ", ".join("?" * len(rows[table][0])) if rows[table] else ""
            if not marks:
                continue
            step = batch if batch and table == "articles" else len(rows[table])
            for start in range(0, len(rows[table]), step):
                part = rows[table][start:start + step]
                connection.executemany(f"INSERT INTO {table} VALUES ({marks})", part)
                if step != len(rows[table]):
                    connection.execute(INDEX_RANGE, (part[0][0], part[-1][0]))
    seconds = time.perf_counter() - began
    connection.close()
    return seconds, len(rows["articles"])


def machine() -> str:
    """CPU model, core count (nproc), OS and Python version."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{cpu}, nproc {len(os.sched_getaffinity(0))}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def main() -> None:
    """Generate, import, rerun, and time the bulk INSERT floor."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=CORES, help="the import's --jobs (default: nproc)")
    parser.add_argument("--postgres-url", help="import into this PostgreSQL database (emptied first)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"import_{args.n}.ndjson"
    write_lines(source, args.n)
    database = OUT / "import.sqlite3"
    url = fresh_postgres(args.postgres_url) if args.postgres_url else fresh_database(database)
    print(f"machine: {machine()}")
    target = f" --postgres-url {args.postgres_url}" if args.postgres_url else ""
    print(f"rerun: .venv/bin/python bench/import.py --n {args.n} --batch-size {args.batch_size} "
          f"--jobs {args.jobs}{target}")
    print(f"input: {source.relative_to(ROOT)}, {args.n} lines, {source.stat().st_size / 1e6:.1f} MB")

    print(f"load average before: {os.getloadavg()[0]:.1f} (other processes compete for the cores)")
    busy = busy_cpu()
    seconds, cpu, summary = run_import(url, source, args.batch_size, args.jobs)
    busy = busy_cpu() - busy
    rate = args.n / seconds
    verdict = "meets" if rate >= AIM else "MISSES"
    where = "database" if args.postgres_url else "file"
    print(f"import into a fresh {where}: {seconds:.1f} s, {rate:,.0f} articles/s ({summary}); "
          f"{verdict} the aim of {AIM:,}/s")
    cores = min(args.jobs, CORES)
    print(f"  CPU {cpu:.1f} s (all processes), {cpu / args.n * 1e6:.0f} us per article: "
          f"{args.n / cpu * cores:,.0f} articles/s if {cores} cores were free")
    if args.postgres_url:  # the server's share: what the machine spent besides the import's processes
        server = busy - cpu
        print(f"  the machine's CPU besides: {server:.1f} s, {server / args.n * 1e6:.0f} us per article "
              f"(the PostgreSQL server, if nothing else ran); together "
              f"{args.n / busy * CORES:,.0f} articles/s on {CORES} free cores")
    again, cpu, summary = run_import(url, source, args.batch_size, args.jobs)
    print(f"rerun of the same file:   {again:.1f} s, {args.n / again:,.0f} lines/s ({summary}), "
          f"CPU {cpu:.1f} s")
    if args.postgres_url:
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        return
    floor, count = bulk_insert(database, OUT / "import_floor.sqlite3")
    print(f"bulk INSERT of the same rows (executemany, one transaction, the FTS5 trigger): {floor:.2f} s, "
          f"{count / floor:,.0f} articles/s; import takes {seconds / floor:.0f}x as long")
    floor, count = bulk_insert(database, OUT / "import_floor.sqlite3", args.batch_size)
    print(f"the same, indexed by one INSERT ... SELECT per {args.batch_size} articles (as the import): "
          f"{floor:.2f} s, {count / floor:,.0f} articles/s; import takes {seconds / floor:.0f}x as long")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
