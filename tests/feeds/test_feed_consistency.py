"""The same facts in every format: authors without addresses in names, categories by slug, edit times."""

from __future__ import annotations

import json
from datetime import datetime

import feedparser
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
AUTHORS = {  # as given → (name, e-mail) on output
    "Economy desk <economy@example.org>": ("Economy desk", "economy@example.org"),
    '"Doe, Jane" <jane.doe@example.org>': ("Doe, Jane", "jane.doe@example.org"),
    "desk@example.org": ("desk", "desk@example.org"),
    "Aigerim Sadykova": ("Aigerim Sadykova", None),
}


def _feed(client, fmt: str, query: str = "") -> bytes:
    response = client.get(f"/feeds/kazakhstan.{fmt}{query}")
    assert response.status_code == 200
    return response.data


def test_authors_are_split_and_no_name_holds_an_address(client, add_article, atom_schema):
    for given in AUTHORS:
        add_article(title=given, author=given)
    expected = [AUTHORS[given] for given in reversed(AUTHORS)]
    atom = etree.fromstring(_feed(client, "atom"))
    assert atom_schema.validate(atom), atom_schema.error_log
    found = [(e.findtext(f"{ATOM}author/{ATOM}name"), e.findtext(f"{ATOM}author/{ATOM}email"))
             for e in atom.findall(f"{ATOM}entry")]
    assert found == expected
    rss = etree.fromstring(_feed(client, "rss"))
    assert [i.findtext(DC_CREATOR) for i in rss.iter("item")] == [name for name, _ in expected]
    assert rss.find("channel/item/author") is None  # RSS <author> would publish the address
    feed = json.loads(_feed(client, "json"))
    assert [i["authors"] for i in feed["items"]] == [[{"name": name}] for name, _ in expected]
    parsed = feedparser.parse(_feed(client, "atom"))
    assert all("@" not in entry.author_detail.name for entry in parsed.entries)


def test_entries_are_updated_at_their_own_edit_time(client, post_article, auth_headers):
    # Written within the same second: their edit times still differ, and each feed says which is which.
    posted = [post_article(title=f"Story {n}", published_at="2025-03-01T08:00:00Z") for n in range(3)]
    edited = client.patch(f"/api/articles/{posted[0]['id']}", json={"summary": "Corrected"},
                          headers=auth_headers).get_json()
    by_uuid = {a["uuid"]: datetime.fromisoformat(a["updated_at"]) for a in [*posted[1:], edited]}
    assert len(set(by_uuid.values())) == 3
    atom = etree.fromstring(_feed(client, "atom"))
    for entry in atom.findall(f"{ATOM}entry"):
        uuid = entry.findtext(f"{ATOM}id").removeprefix("urn:uuid:")
        assert datetime.fromisoformat(entry.findtext(f"{ATOM}updated")) == by_uuid[uuid]
        assert entry.findtext(f"{ATOM}published") == "2025-03-01T08:00:00+00:00"
    feed = json.loads(_feed(client, "json"))
    for item in feed["items"]:
        assert datetime.fromisoformat(item["date_modified"]) == by_uuid[item["id"].removeprefix("urn:uuid:")]


def test_categories_use_the_same_terms_in_every_format(client, add_article):
    add_article(title="Both", countries=["kyrgyzstan", "kazakhstan"], tags=["water", "energy"])
    terms = ["kazakhstan", "kyrgyzstan", "energy", "water"]
    atom = etree.fromstring(_feed(client, "atom")).find(f"{ATOM}entry")
    assert [(c.get("term"), c.get("label")) for c in atom.findall(f"{ATOM}category")] == [
        ("kazakhstan", "Kazakhstan"), ("kyrgyzstan", "Kyrgyzstan"), ("energy", None), ("water", None)]
    item = etree.fromstring(_feed(client, "rss")).find("channel/item")
    assert [c.text for c in item.findall("category")] == terms
    assert json.loads(_feed(client, "json"))["items"][0]["tags"] == terms
    assert [t.term for t in feedparser.parse(_feed(client, "rss")).entries[0].tags] == terms


def test_an_entry_without_text_has_its_title_as_atom_summary(client, add_article):
    add_article(title="Headline only")
    entry = etree.fromstring(_feed(client, "atom")).find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}summary") == "Headline only"
    assert entry.find(f"{ATOM}content") is None
    assert etree.fromstring(_feed(client, "rss")).find("channel/item/description") is None


def test_a_repeated_parameter_is_a_400(client):
    for fmt in ("rss", "atom", "json"):
        for query in ("limit=5&limit=5", "tag=a&tag=b", "limit=5&tag=a&limit=6"):
            for path in (f"/feeds/kazakhstan.{fmt}", f"/feeds/KZ.{fmt}"):  # before the redirect too
                response = client.get(f"{path}?{query}")
                assert response.status_code == 400
                assert response.get_json()["error"]["fields"]["_repeated"]
