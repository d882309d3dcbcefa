"""What keeping every payload costs: a year of each source's answers, archived into a fresh SQLite file.

Usage: .venv/bin/python bench/payload_storage.py
Each recorded payload (tests/fixtures/upstream) stands for one day's answer; a year is that many
answers (the days the source publishes), each made distinct (its date and one value changed, as each
real day's file differs) so that content addressing keeps every one. They go through the archive's own
code (ingest/archive.py: zlib level 9, one fetch row each); the figure is the file's growth after VACUUM.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from config import Config  # noqa: E402
from feedsvc.core.db import make_engine, upgrade_database  # noqa: E402
from feedsvc.rates.codec import pack  # noqa: E402
from feedsvc.rates.ingest.archive import keep_answer  # noqa: E402
from feedsvc.rates.sources.http import Answer  # noqa: E402

UPSTREAM = ROOT / "tests" / "fixtures" / "upstream"
# source: (recorded payload, its media type, the answers it gives in a year)
YEAR = {
    "nbk": ("nbk/get_rates_fdate_01.04.2026.xml", "text/xml", 250),  # weekdays less holidays
    "nbkr": ("nbkr/daily.xml", "text/xml", 250),
    "nbkr-weekly": ("nbkr/weekly.xml", "text/xml", 52),
    "nbt": ("nbt/export_xml_2026-05-18.xml", "text/xml", 365),  # every day
    "cbu": ("cbu/json_all_2026-04-01.json", "application/json", 250),
    "cbt": ("cbt/kurs_2026_20052026.xml", "text/xml", 310),  # but Sundays
    "currency-api": ("currency-api/2025-12-28.usd.json", "application/json", 365),
}


def variant(body: bytes, n: int) -> bytes:
    """The payload as another day would send it: a marker of the day appended to its first digit run."""
    return body.replace(b"1", f"1{n:03d}".encode(), 1)


def grow(path: Path, source: str, body: bytes, media_type: str, answers: int) -> int:
    """Bytes the SQLite file grows by when ``answers`` distinct answers of ``source`` are archived."""
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.execute(text("VACUUM"))
    before = path.stat().st_size
    now, first = datetime.now(UTC), date(2030, 1, 1)
    with Session(engine) as session:
        for n in range(answers):
            keep_answer(session, source, first + timedelta(days=n), Answer(variant(body, n), "https://x/",
                                                                           200, media_type), now)
        session.commit()
    with engine.connect() as conn:
        conn.execute(text("VACUUM"))
    engine.dispose()
    return path.stat().st_size - before


def main() -> None:
    """Print per source: one payload raw and compressed, and a year in the database."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "payloads.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade_database(engine, Config({}).COUNTRIES)
        engine.dispose()
        print(f"{'source':<13} {'payload':>9} {'zlib':>8} {'answers/yr':>10} {'SQLite/yr':>10}")
        total = 0
        for source, (relative, media_type, answers) in YEAR.items():
            body = (UPSTREAM / relative).read_bytes()
            year = grow(path, source, body, media_type, answers)
            total += year
            print(f"{source:<13} {len(body):>8,} B {len(pack(body)):>6,} B {answers:>10} "
                  f"{year / 1024 / 1024:>7.2f} MiB")
        print(f"all sources: {total / 1024 / 1024:.1f} MiB a year")


if __name__ == "__main__":
    main()
