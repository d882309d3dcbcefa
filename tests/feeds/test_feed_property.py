"""Property: any text the API accepts still gives feeds that parse cleanly and validate."""

from __future__ import annotations

import json

import feedparser
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

# Every code point, surrogates included (they reach the API as JSON escapes such as "\ud800").
ANY_CHAR = st.characters(codec=None, categories=None)
NASTY = st.sampled_from(["]]>", "&", "<", "&amp;", "&#x27;", "<b>x</b>", "\x00", "\x1b", "\u0085", "\ufffe",
                         "\u202e", "مرحبا", "שלום", "e\u0301\u0308", "🇰🇿", "👩‍👩‍👧", "\ud800", "\udfff",
                         "<script>alert(1)</script>", "<![CDATA[", "\r\n", "\t"])
TEXT = st.lists(st.one_of(NASTY, st.text(ANY_CHAR, max_size=8)), max_size=8).map("".join)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(title=TEXT, summary=TEXT, content=TEXT, author=TEXT)
def test_any_accepted_text_yields_valid_feeds(client, auth_headers, atom_schema, title, summary, content,
                                              author):
    payload = {"title": "T " + title, "summary": summary, "content_html": content,
               "author": author or None, "countries": ["kazakhstan"], "tags": ["prop"]}
    # json.dumps escapes lone surrogates as \udXXX, as a client in another language might send them.
    response = client.post("/api/articles", data=json.dumps(payload), headers=auth_headers,
                           content_type="application/json")
    if response.status_code != 201:  # not accepted: nothing to publish
        assert response.status_code == 422, response.data
        return
    stored = response.get_json()
    atom = client.get("/feeds/kazakhstan.atom?tag=prop&limit=1")
    assert atom_schema.validate(etree.fromstring(atom.data)), atom_schema.error_log
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(client.get(f"/feeds/kazakhstan.{fmt}?tag=prop&limit=1").data)
        assert parsed.bozo == 0, (fmt, parsed.get("bozo_exception"))
        assert parsed.entries[0].id == f"urn:uuid:{stored['uuid']}"
    feed = json.loads(client.get("/feeds/kazakhstan.json?tag=prop&limit=1").data)
    assert feed["items"][0]["title"] == stored["title"]
    assert feed["items"][0]["content_html"] == stored["content_html"]
