"""The article store: writes, change markers, listing order, filters and pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from sqlalchemy.exc import InvalidRequestError

from feedsvc.articles import listing, store
from feedsvc.core.changes import read_marker
from feedsvc.core.db import new_session

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def _data(**overrides):
    data = {"title": "Border crossing reopens", "countries": ["kazakhstan"], "published_at": T0}
    data.update(overrides)
    return data


@pytest.fixture
def session(app):
    with app.app_context(), new_session() as session:
        yield session


def _revisions(session) -> dict[str, int]:
    scopes = ["articles"] + [f"articles:{c.slug}" for c in store.list_countries(session)]
    return {scope: read_marker(scope, session).revision for scope in scopes}


def test_create_assigns_uuid_and_defaults(session) -> None:
    article = store.create_article(session, _data(tags=["Transport", "transport", "rail"]))
    session.commit()
    assert len(article.uuid) == 36 and article.id
    assert article.summary == "" and article.content_html == "" and article.language == "en"
    assert [t.slug for t in article.tags] == ["rail", "transport"]
    assert article.published_at == T0 and article.updated_at.tzinfo is not None


def test_create_keeps_a_given_uuid(session) -> None:
    article = store.create_article(session, _data(uuid="6a1f6b5c-2a57-4b8f-9c7b-3c0a5a7c1e11"))
    assert article.uuid == "6a1f6b5c-2a57-4b8f-9c7b-3c0a5a7c1e11"


def test_create_bumps_articles_and_each_country(session) -> None:
    before = _revisions(session)
    store.create_article(session, _data(countries=["kazakhstan", "tajikistan"]), now=T0)
    session.commit()
    after = _revisions(session)
    bumped = {scope for scope in after if after[scope] == before[scope] + 1}
    assert bumped == {"articles", "articles:kazakhstan", "articles:tajikistan"}
    assert read_marker("articles:kazakhstan", session).changed_at == T0


def test_update_bumps_old_and_new_countries_and_keeps_uuid(session) -> None:
    article = store.create_article(session, _data(countries=["kazakhstan", "kyrgyzstan"]))
    session.commit()
    uuid, before = article.uuid, _revisions(session)
    later = T0 + timedelta(days=1)
    store.update_article(session, article, {"countries": ["uzbekistan"], "uuid": "x"}, now=later)
    session.commit()
    after = _revisions(session)
    bumped = {scope for scope in after if after[scope] == before[scope] + 1}
    assert bumped == {"articles", "articles:kazakhstan", "articles:kyrgyzstan", "articles:uzbekistan"}
    assert article.uuid == uuid and article.updated_at == later
    assert [c.slug for c in article.countries] == ["uzbekistan"]


def test_update_of_text_only_bumps_its_countries(session) -> None:
    article = store.create_article(session, _data(countries=["turkmenistan"]))
    session.commit()
    before = _revisions(session)
    store.update_article(session, article, {"title": "Border crossing <b>closes</b>"})
    session.commit()
    after = _revisions(session)
    assert {s for s in after if after[s] != before[s]} == {"articles", "articles:turkmenistan"}
    assert article.title == "Border crossing closes"


def test_delete_bumps_its_countries(session) -> None:
    article = store.create_article(session, _data(countries=["kyrgyzstan"], tags=["rail"]))
    session.commit()
    article_id, before = article.id, _revisions(session)
    store.delete_article(session, article)
    session.commit()
    after = _revisions(session)
    assert {s for s in after if after[s] != before[s]} == {"articles", "articles:kyrgyzstan"}
    assert store.get_article(session, article_id) is None
    assert listing.count_by_country(session)["kyrgyzstan"] == 0


def test_update_rejects_nulls_for_required_fields(session) -> None:
    article = store.create_article(session, _data())
    with pytest.raises(ValidationError):
        store.update_article(session, article, {"published_at": None})


def test_unknown_countries_are_rejected(session) -> None:
    with pytest.raises(ValidationError) as raised:
        store.create_article(session, _data(countries=["kazakhstan", "narnia"]))
    message = raised.value.messages["countries"][0]
    assert "narnia" in message and message.count("kazakhstan") == 1


def test_newest_first_with_id_as_tie_breaker(session) -> None:
    same = [store.create_article(session, _data(title=f"Same time {n}")) for n in range(3)]
    older = store.create_article(session, _data(title="Older", published_at=T0 - timedelta(hours=1)))
    newer = store.create_article(session, _data(title="Newer", published_at=T0 + timedelta(hours=1)))
    session.commit()
    ids = [a.id for a in listing.list_articles(session).items]
    assert ids == [newer.id, same[2].id, same[1].id, same[0].id, older.id]


def test_filters_and_search(session) -> None:
    store.create_article(session, _data(title="Solar park", countries=["uzbekistan"], tags=["energy"]))
    store.create_article(session, _data(title="Canal repair", summary="Irrigation season",
                                        countries=["tajikistan", "uzbekistan"], tags=["water"]))
    store.create_article(session, _data(title="Press law", content_html="<p>Media licensing 100%</p>",
                                        countries=["kyrgyzstan"], tags=["media", "rights"]))
    session.commit()

    def titles(**filters) -> list[str]:
        return sorted(a.title for a in listing.list_articles(session, **filters).items)

    assert titles(country="uzbekistan") == ["Canal repair", "Solar park"]
    assert titles(country="uzbekistan", tag="water") == ["Canal repair"]
    assert titles(tag="rights") == ["Press law"]
    assert titles(q="IRRIGATION") == ["Canal repair"]
    assert titles(q="licensing") == ["Press law"]
    assert titles(q="100%") == ["Press law"]
    assert titles(q="1_0") == []
    assert titles(q="canal season") == ["Canal repair"]
    assert titles(q="canal solar") == []
    assert listing.count_by_country(session) == {
        "kazakhstan": 0, "kyrgyzstan": 1, "tajikistan": 1, "turkmenistan": 0, "uzbekistan": 2,
    }


@pytest.mark.parametrize("q", [None, "licensing"])
def test_teasers_hold_what_a_teaser_shows_and_refuse_the_rest(app, q) -> None:
    with app.app_context(), new_session() as writer:
        store.create_article(writer, _data(title="Press law", summary="Licences", tags=["media"],
                                           content_html="<p>Media licensing</p>"))
        writer.commit()
    with app.app_context(), new_session() as session:  # nothing of the article loaded before
        [teaser] = listing.list_articles(session, q=q, teasers=True).items
        assert (teaser.title, teaser.summary, [c.slug for c in teaser.countries]) == (
            "Press law", "Licences", ["kazakhstan"])
        for unloaded in ("content_html", "tags"):
            with pytest.raises(InvalidRequestError):
                getattr(teaser, unloaded)
    with app.app_context(), new_session() as session:
        [whole] = listing.list_articles(session, q=q).items
        assert (whole.content_html, [t.slug for t in whole.tags]) == ("<p>Media licensing</p>", ["media"])


def test_pagination(session) -> None:
    for n in range(5):
        store.create_article(session, _data(title=f"Story {n}", published_at=T0 + timedelta(minutes=n)))
    session.commit()
    page = listing.list_articles(session, page=2, per_page=2)
    assert [a.title for a in page.items] == ["Story 2", "Story 1"]
    assert (page.total, page.pages, page.first, page.last) == (5, 3, 3, 4)
    past = listing.list_articles(session, page=4, per_page=2)
    assert (past.items, past.total, past.first, past.last) == ([], 5, 0, 0)


def test_external_id_lookup(session) -> None:
    article = store.create_article(session, _data(external_id="wire-9"))
    session.commit()
    assert store.get_article_by_external_id(session, "wire-9").id == article.id
