"""Archives for bench/growth.py: the demo plus N generated articles, through `feedsvc articles import`.

The import is the real write path, so the counters and the search index are maintained as in production.
Articles are one every 50 minutes up to the end of 2025 (100,000 articles span nine and a half years, a
regional desk's decade), with three scheduled for 2030; "metro" is in one article in 200, and a word of
the vocabulary ("substation") in about three in four: a page of results at every N.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
FEEDSVC = str(ROOT / ".venv" / "bin" / "feedsvc")
END = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=50)
SCHEDULED = 3
PREFIX = "feedsvc_growth"  # PostgreSQL databases are named PREFIX_N
COUNTRIES = ["kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan"]
TOPICS = ["energy", "water", "transport", "trade", "banking", "agriculture", "mining", "health",
          "education", "elections", "diplomacy", "tourism", "sport", "culture", "media", "technology",
          "construction", "climate", "migration", "currency"]
_VOCABULARY = ("reservoir levels rise spring inflows upper cascade operators reported higher april ministry "
         "announced tender railway corridor border crossing freight volumes grain harvest central bank "
         "policy rate inflation parliament approved budget gas pipeline capacity tariffs exports imports "
         "wheat cotton power plant grid outage mayor district school hospital road bridge airport flights "
         "visa tourists festival museum court ruling election commission candidates turnout market prices "
         "fuel diesel drought irrigation canal glacier river basin treaty summit delegation investors bond "
         "loan deficit surplus remittances workers migrants labour wages pension reform licence broadcaster "
         "newspaper journalists internet mobile operator startup fintech payments copper gold uranium coal "
         "solar wind hydropower dam turbine substation tram bus fares ring line station depot")
WORDS = _VOCABULARY.split()


def sentence(rng: random.Random, words: int) -> str:
    """A capitalised run of words."""
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize()


def make_line(rng: random.Random, number: int, when: datetime) -> str:
    """One article in the API's import schema."""
    body = "".join(f"<p>{sentence(rng, rng.randint(20, 40))}.</p>" for _ in range(rng.randint(3, 6)))
    if number % 200 == 7:
        body += f"<p>The city metro {sentence(rng, 10).lower()}.</p>"
    data = {
        "external_id": f"growth-{number}",
        "title": f"{sentence(rng, rng.randint(5, 11))} ({number})",
        "summary": f"{sentence(rng, 25)}.",
        "content_html": body,
        "countries": rng.sample(COUNTRIES, rng.choice([1, 1, 1, 2])),
        "tags": rng.sample(TOPICS, rng.randint(0, 3)),
        "author": rng.choice(["Economy desk <economy@example.org>", "Staff", "A. Reporter"]),
        "language": rng.choice(["en"] * 8 + ["ru", "kk"]),
        "published_at": when.isoformat().replace("+00:00", "Z"),
    }
    return json.dumps(data, ensure_ascii=False)


def write_lines(path: Path, count: int) -> None:
    """The NDJSON file of ``count`` articles plus the scheduled ones (deterministic; kept between runs)."""
    if path.exists():
        return
    rng = random.Random(22)
    with path.open("w", encoding="utf-8") as out:
        for number in range(1, count + 1):
            out.write(make_line(rng, number, END - STEP * (count - number)) + "\n")
        for number in range(count + 1, count + SCHEDULED + 1):
            out.write(make_line(rng, number, datetime(2030, 1, number - count, tzinfo=UTC)) + "\n")


def database_url(kind: str, count: int, postgres_url: str, prefix: str = PREFIX) -> str:
    """The bench database of ``kind`` for ``count`` articles (a PostgreSQL database is created if missing)."""
    if kind == "sqlite":
        return f"sqlite:///{OUT / f'growth-{count}.sqlite3'}"
    base = make_url(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{prefix}_{count}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False).replace("+psycopg", "")


def stored_articles(url: str) -> int:
    """How many articles the database holds (0 when it has no schema yet)."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM articles")) or 0
    except Exception:  # noqa: BLE001 - no table yet: an empty database
        return 0
    finally:
        engine.dispose()


def feedsvc(url: str, *args: str) -> str:
    """Run the feedsvc command on ``url``; its output."""
    env = {**os.environ, "FEEDSVC_DATABASE_URL": url, "FEEDSVC_SCHEDULER": "off"}
    result = subprocess.run([FEEDSVC, *args], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"feedsvc {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout.strip()


def fill(kind: str, count: int, postgres_url: str, prefix: str = PREFIX) -> tuple[str, float | None]:
    """A database with the demo and ``count`` articles; its URL and the import's articles/s (None: reused)."""
    OUT.mkdir(parents=True, exist_ok=True)
    url = database_url(kind, count, postgres_url, prefix)
    demo = 20
    if stored_articles(url) == demo + count + SCHEDULED:
        vacuum(kind, url)  # a database filled before this step was vacuumed
        return url, None
    if kind == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{OUT / f'growth-{count}.sqlite3'}{suffix}").unlink(missing_ok=True)
    else:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    source = OUT / f"growth-{count}.ndjson"
    write_lines(source, count)
    feedsvc(url, "db", "upgrade")
    feedsvc(url, "demo")
    started = time.perf_counter()
    feedsvc(url, "articles", "import", str(source))
    rate = (count + SCHEDULED) / (time.perf_counter() - started)
    vacuum(kind, url)
    return url, rate


def vacuum(kind: str, url: str) -> None:
    """PostgreSQL: what autovacuum does after a load (a test server may run without it): statistics, and
    the GIN index's pending list merged. Unvacuumed, every search read that list (1.6 ms at 10,000
    articles), and PostgreSQL then preferred reading all 10,000 vectors."""
    if kind != "postgresql":
        return
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("VACUUM ANALYZE"))
    engine.dispose()
