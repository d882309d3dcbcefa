"""The demo's feeds: each entry updated at its own story's edit time, never at the time of loading."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from feedsvc.articles.demo import load_demo_articles
from feedsvc.articles.demo_data import DEMO_ARTICLES, DEMO_EDITS
from feedsvc.core.db import new_session
from feedsvc.core.models import Article

ATOM = "{http://www.w3.org/2005/Atom}"


def _load(app, *, updated_at: datetime | None = None) -> None:
    with app.app_context(), new_session() as session:
        load_demo_articles(session)
        if updated_at:  # as an earlier version left them: all "updated" at load time
            session.query(Article).update({Article.updated_at: updated_at})
        session.commit()


def test_demo_entries_carry_their_own_edit_times(app, client):
    _load(app, updated_at=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    older = client.get("/feeds/all.atom?limit=100").headers["ETag"]
    _load(app)  # moves them to their stories' times, and so changes the ETag
    first = client.get("/feeds/all.atom?limit=100")
    assert first.headers["ETag"] != older
    entries = etree.fromstring(first.data).findall(f"{ATOM}entry")
    assert len(entries) == len(DEMO_ARTICLES)
    published = {a["title"]: a["published_at"] for a in DEMO_ARTICLES}
    edits = {a["title"]: DEMO_EDITS[a["external_id"]]
             for a in DEMO_ARTICLES if a["external_id"] in DEMO_EDITS}
    assert len(edits) >= 3
    updated = {}
    for entry in entries:
        title = entry.findtext(f"{ATOM}title")
        updated[title] = datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        assert updated[title] == datetime.fromisoformat(edits.get(title, published[title]))
        assert updated[title] >= datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
    assert len(set(updated.values())) == len(entries)
    _load(app)  # loading again changes nothing, so the ETag stays
    assert client.get("/feeds/all.atom?limit=100").headers["ETag"] == first.headers["ETag"]
