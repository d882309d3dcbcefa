"""Helpers for page tests: articles written through the store; the demo served for real."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from site_helpers import HeldImages, store_recent_demo_rates

from feedsvc.articles.demo import load_demo_articles
from feedsvc.articles.store import create_article
from feedsvc.core.db import new_session

BASE_TIME = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def add_articles(app: Flask) -> Callable[..., list[int]]:
    """Write ``count`` articles titled ``"<title> <n>"``, n = 1 oldest … count newest (each call newer)."""
    minutes = iter(range(1, 1_000_000))

    def add(count: int, title: str = "Story", **fields: Any) -> list[int]:
        ids = []
        with app.app_context():
            session = new_session()
            for number in range(1, count + 1):
                when = BASE_TIME + timedelta(minutes=next(minutes))
                data = {"title": f"{title} {number}", "countries": ["kazakhstan"], "published_at": when,
                        **fields}
                ids.append(create_article(session, data, now=when).id)
            session.commit()
            session.close()
        return ids

    return add


@pytest.fixture
def held_images(app: Flask) -> HeldImages:
    """The app, its demo images held back on demand."""
    return HeldImages(app)


@pytest.fixture
def demo_site(app: Flask, held_images: HeldImages, serve_wsgi: Callable) -> Iterator[str]:
    """The demo articles and recent rates served on 127.0.0.1 (images are paths: they follow the origin)."""
    for origin in serve_wsgi(held_images):
        with app.app_context(), new_session() as session:
            load_demo_articles(session)
            store_recent_demo_rates(session, app.config["RATES_SOURCES"])
            session.commit()
        yield origin
