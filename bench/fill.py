"""Fill a bench database fast: N articles across the configured countries, by bulk inserts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from config import Config
from feedsvc.articles.clean import html_to_text
from feedsvc.articles.counts import rebuild_counts
from feedsvc.core.db import make_engine, upgrade_database
from feedsvc.core.models import Article, ChangeMarker, Country, Tag, article_countries, article_tags

CHUNK = 5_000
TAGS = ("economy", "energy", "water", "transport", "media", "rights")
START = datetime(2020, 1, 1, tzinfo=UTC)
BODY = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 16 + "</p>"
BODY_TEXT = html_to_text(BODY * 2)


def _article(number: int) -> dict[str, object]:
    when = START + timedelta(minutes=10 * number)
    return {
        "id": number, "uuid": f"00000000-0000-4000-8000-{number:012d}",
        "title": f"Story number {number} about water, energy & trade", "summary": "A short summary. " * 8,
        "content_html": BODY * 2, "body_text": BODY_TEXT, "source_url": None,
        "author": "Desk <desk@example.org>",
        "image_url": "https://example.org/images/1.jpg" if number % 3 == 0 else None, "language": "en",
        "published_at": when, "updated_at": when, "external_id": None,
    }


def fill_database(path: Path, count: int) -> str:
    """Create (or reuse, when it already holds ``count`` articles) a SQLite bench database; return its URL."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade_database(engine, Config({}).COUNTRIES)
    with Session(engine) as session:
        if session.scalar(select(Article.id).order_by(Article.id.desc()).limit(1)) == count:
            return url
    path.unlink()
    engine = make_engine(url)
    upgrade_database(engine, Config({}).COUNTRIES)
    with engine.begin() as conn:
        countries = list(conn.scalars(select(Country.id).order_by(Country.position)))
        conn.execute(insert(Tag.__table__), [{"id": i + 1, "slug": slug} for i, slug in enumerate(TAGS)])
        for first in range(1, count + 1, CHUNK):
            numbers = range(first, min(first + CHUNK, count + 1))
            conn.execute(insert(Article.__table__), [_article(n) for n in numbers])
            links = [{"article_id": n, "country_id": countries[n % len(countries)]} for n in numbers]
            links += [{"article_id": n, "country_id": countries[(n + 1) % len(countries)]}
                      for n in numbers if n % 7 == 0]
            conn.execute(insert(article_countries), links)
            tags = [{"article_id": n, "tag_id": n % len(TAGS) + 1} for n in numbers]
            conn.execute(insert(article_tags), tags)
        rebuild_counts(conn)  # the rows went around the store: count them as the store would have
        last = START + timedelta(minutes=10 * count)
        conn.execute(update(ChangeMarker).values(revision=ChangeMarker.revision + 1, changed_at=last))
    engine.dispose()
    return url
