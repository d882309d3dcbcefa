"""Helpers for page tests: articles written through the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

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
