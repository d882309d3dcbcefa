"""The article counters against count(*), after random sequences of writes, at several instants.

Writes go through the store and the import's batch writer (creates, embargoed creates, edits of
countries, tags and dates, deletes); "time passing" is checking the visible totals at instants before,
between and after the embargoes. Deep pages found through the counters are checked against OFFSET.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from feedsvc.articles import listing, store, upsert
from feedsvc.articles.counts import counter_rows, rebuild_counts
from feedsvc.core.db import new_session
from feedsvc.core.models import Article

T0 = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
COUNTRIES = ["kazakhstan", "kyrgyzstan", "uzbekistan"]
TAGS = ["energy", "water", "rail"]
# Instants the visible totals are checked at: long before, around and long after the writes' dates.
INSTANTS = [T0 - timedelta(days=400), T0 - timedelta(days=20), T0, T0 + timedelta(days=3),
            T0 + timedelta(days=45), T0 + timedelta(days=400)]

days = st.integers(min_value=-70, max_value=70)  # a few months on either side of T0: several buckets
countries = st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=2, unique=True)
tags = st.lists(st.sampled_from(TAGS), max_size=3, unique=True)
create = st.tuples(st.just("create"), countries, tags, days)
imported = st.tuples(st.just("import"), st.lists(st.tuples(countries, tags, days), min_size=1, max_size=4))
edit = st.tuples(st.just("edit"), st.integers(0, 50), st.one_of(st.none(), countries),
                 st.one_of(st.none(), tags), st.one_of(st.none(), days))
delete = st.tuples(st.just("delete"), st.integers(0, 50))
operations = st.lists(st.one_of(create, imported, edit, delete), min_size=1, max_size=12)


def empty(session: Any) -> None:
    """No articles, tags or counters (SQLite's DELETE runs the search index's triggers)."""
    if session.get_bind().dialect.name == "postgresql":
        # CASCADE: PostgreSQL's search table (article_search) refers to articles.
        session.execute(text("TRUNCATE upstream_items, article_tags, article_countries, articles, tags, "
                             "article_counts, deleted_articles CASCADE"))
    else:
        for name in ("upstream_items", "article_tags", "article_countries", "articles", "tags",
                     "article_counts", "deleted_articles"):
            session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 - constant names
    session.commit()


def apply(session: Any, operation: tuple, serial: list[int]) -> None:
    """Run one write and commit it."""
    kind, *args = operation
    ids = list(session.scalars(select(Article.id).order_by(Article.id)))
    if kind == "create":
        chosen, labels, offset = args
        store.create_article(session, {"title": f"Story {len(serial)}", "countries": chosen, "tags": labels,
                                       "published_at": T0 + timedelta(days=offset)})
        serial.append(1)
    elif kind == "import":
        index = upsert.country_index(session)
        lines = []
        for number, (chosen, labels, offset) in enumerate(args[0]):
            serial.append(1)
            data = {"title": f"Wire {len(serial)}", "countries": chosen, "tags": labels,
                    "external_id": f"wire-{len(serial)}", "published_at": T0 + timedelta(days=offset)}
            lines.append(upsert.prepare_line(number, b"", data, index, T0))
        upsert.write_batch(session, lines, T0)
    elif kind == "edit" and ids:
        position, chosen, labels, offset = args
        given = (("countries", chosen), ("tags", labels))
        changes = {key: value for key, value in given if value is not None}
        if offset is not None:
            changes["published_at"] = T0 + timedelta(days=offset)
        store.update_article(session, store.get_article(session, ids[position % len(ids)]), changes)
    elif kind == "delete" and ids:
        store.delete_article(session, store.get_article(session, ids[args[0] % len(ids)]))
    session.commit()


def expected_counters(session: Any) -> dict[tuple[int, int, int], int]:
    """The counters recomputed from the stored articles, article by article."""
    expected: Counter[tuple[int, int, int]] = Counter()
    for article in session.scalars(select(Article)):
        month = article.published_at.year * 100 + article.published_at.month
        for country in [0] + [c.id for c in article.countries]:
            for tag in [0] + [t.id for t in article.tags]:
                expected[(country, tag, month)] += 1
    return dict(expected)


def check_totals(session: Any) -> None:
    """Every listing's visible total from the counters equals count(*), at every instant."""
    for country in [None, *COUNTRIES]:
        for tag in [None, *TAGS]:
            for at in INSTANTS:
                counted = store.filter_articles(select(func.count(Article.id)), country, tag, now=at)
                assert listing.count_visible(session, at, country, tag) == session.scalar(counted), (
                    country, tag, at)


def check_pages(session: Any) -> None:
    """Every page found through the counters' months holds what OFFSET over the listing holds."""
    for country, tag in ((None, None), ("kazakhstan", None), (None, "water")):
        every = list(session.scalars(store.newest_first(store.filter_articles(select(Article.id), country,
                                                                              tag))))
        for number in range(1, len(every) // 2 + 3):
            page = listing.list_articles(session, country=country, tag=tag, page=number, per_page=2,
                                         scheduled=True)
            assert [a.id for a in page.items] == every[(number - 1) * 2:number * 2], (country, tag, number)
            assert page.total == len(every)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_counters_equal_count_star_after_any_writes(app, steps) -> None:
    with app.app_context(), new_session() as session:
        empty(session)
        serial: list[int] = []
        for step in steps:
            apply(session, step, serial)
        session.expire_all()
        counters = counter_rows(session)
        assert counters == expected_counters(session)
        check_totals(session)
        check_pages(session)
        rebuild_counts(session.connection())  # the recount from scratch agrees with the running counts
        assert counter_rows(session) == counters
        session.rollback()
