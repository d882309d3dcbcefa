"""Ingest of one day's tables of all five central banks (NBKR daily and weekly) into SQLite, timed.

Usage: .venv/bin/python bench/rates_ingest.py [--rounds 30]  (bench/rates.py prints it as aim (e))
The recorded payloads (tests/fixtures/upstream) are parsed once; each round stores them, redated to a new
day, the way a job does: ``store_observations`` per source in its own transaction (validation, the jump
rule against the day before, the cross-check, the served recompute and the rates marker), then commits.
The database is a fresh SQLite file under bench/out/, filled with a few earlier days first, so the guards
have references as in production. Aim: one round (all six tables, 243 lines) <= 100 ms. The refresh of
every published pair's stored lines that the jobs run after each commit is timed apart and printed too.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from config import Config  # noqa: E402
from feedsvc.core.db import make_engine, upgrade_database  # noqa: E402
from feedsvc.rates.ingest.store import store_observations  # noqa: E402
from feedsvc.rates.served import refresh_pending  # noqa: E402
from feedsvc.rates.sources import all_source_classes  # noqa: E402
from feedsvc.rates.sources.base import Table  # noqa: E402

OUT = ROOT / "bench" / "out"
UPSTREAM = ROOT / "tests" / "fixtures" / "upstream"
AIM_MS = 100.0
TABLES = {  # source: (recorded payload, the day it answers)
    "nbk": ("nbk/get_rates_fdate_01.04.2026.xml", date(2026, 4, 1)),
    "nbkr": ("nbkr/daily.xml", date(2026, 5, 24)),
    "nbkr-weekly": ("nbkr/weekly.xml", date(2026, 5, 24)),
    "nbt": ("nbt/export_xml_2026-05-18.xml", date(2026, 5, 18)),
    "cbu": ("cbu/json_all_2026-04-01.json", date(2026, 4, 1)),
    "cbt": ("cbt/kurs_2026_20052026.xml", date(2026, 5, 20)),
}
PRIORITY = tuple(all_source_classes())
FIRST = date(2030, 1, 1)


def parsed_tables() -> dict[str, Table]:
    """Each bank's recorded table, parsed once."""
    return {name: all_source_classes()[name]("").parse((UPSTREAM / path).read_bytes(), day)
            for name, (path, day) in TABLES.items()}


def redated(table: Table, day: date) -> Table:
    """``table`` as if the bank had published it on ``day``."""
    return Table([dataclasses.replace(obs, date=day) for obs in table.observations])


def store_day(engine, tables: dict[str, Table], day: date) -> tuple[float, float, float, float]:  # noqa: ANN001
    """Seconds (wall clock, and this process's CPU) to store every table of ``day``, one transaction per
    source as the jobs do; then the seconds (wall, CPU) the jobs' refreshes of the pairs' stored lines
    take after each of those commits (served/pair_lines.py), measured apart."""
    now = datetime.now(UTC)
    stored = [0.0, 0.0]
    refreshed = [0.0, 0.0]
    with Session(engine) as session:
        for name, table in tables.items():
            began, cpu = time.perf_counter(), time.process_time()
            store_observations(session, name, day, redated(table, day), now, priority=PRIORITY)
            session.commit()
            stored[0] += time.perf_counter() - began
            stored[1] += time.process_time() - cpu
            began, cpu = time.perf_counter(), time.process_time()
            refresh_pending(session, PRIORITY)
            session.commit()
            refreshed[0] += time.perf_counter() - began
            refreshed[1] += time.process_time() - cpu
    return stored[0], stored[1], refreshed[0], refreshed[1]


def measure(rounds: int) -> tuple[float, float, int]:
    """Median milliseconds (wall clock, CPU) of one day's ingest over ``rounds`` days, and its lines."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "rates_ingest.sqlite3"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine, Config({}).COUNTRIES)
    tables = parsed_tables()
    for warm in range(3):  # earlier days: the jump rule's references, the first queries' warm-up
        store_day(engine, tables, FIRST + timedelta(days=warm))
    timings = [store_day(engine, tables, FIRST + timedelta(days=3 + n)) for n in range(rounds)]
    engine.dispose()
    lines = sum(len(t.observations) for t in tables.values())
    wall, cpu, lines_wall, lines_cpu = (statistics.median(part) * 1000 for part in zip(*timings, strict=True))
    return wall, cpu, lines, lines_wall, lines_cpu


def main() -> None:
    """Measure and print against the aim."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    wall, cpu, lines, lines_wall, lines_cpu = measure(args.rounds)
    print(f"(e) ingest of one day's six bank tables ({lines} lines), SQLite: {wall:.1f} ms wall clock, "
          f"{cpu:.1f} ms CPU (medians of {args.rounds}); aim <= {AIM_MS:g} ms "
          f"{'ok' if wall <= AIM_MS else 'MISSED'}")
    print(f"    then the pairs' stored lines refreshed after each table's commit, as the jobs do: "
          f"{lines_wall:.1f} ms wall clock, {lines_cpu:.1f} ms CPU")


if __name__ == "__main__":
    main()
