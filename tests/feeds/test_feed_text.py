"""Plain text end to end: markup removed, a tag typed as entities kept as typed, outputs escaping once."""

from __future__ import annotations

import html
import json
import re

import feedparser
from lxml import etree
from markupsafe import escape

ATOM = "{http://www.w3.org/2005/Atom}"
# In the style of feedparser's sanitizer tests: markup, hostile attributes and URLs, and tags typed
# as named, numeric, hex and double-encoded entities.
CORPUS = [
    "<script>alert(1)</script>Rates",
    '<a href="javascript:alert(1)">Rates</a> up',
    '<img src="x" onerror="alert(1)">Rates <iframe src="https://evil.example"></iframe>',
    '<div style="background:url(javascript:alert(1))">Rates</div><meta http-equiv="refresh" content="0">',
    "<scr<script>ipt>alert(1)</script> <<script>script>x",
    "<![CDATA[<script>alert(1)</script>]]> <!-- <script> --> Rates",
    "&lt;script&gt;alert(1)&lt;/script&gt; Rates",
    "&#60;img src=x onerror=alert(1)&#62; &#x3C;/b&#x3E; Rates",
    "&amp;lt;script&amp;gt; Tom &amp; Jerry &#x27;s 1 &lt; 2",
]
MARKUP = re.compile(r"<[A-Za-z/!?]")  # what would open a tag, comment or declaration


def _entries(client, fmt: str) -> list:
    return etree.fromstring(client.get(f"/feeds/kazakhstan.{fmt}?tag=text&limit=100").data)


def test_typed_tags_stay_text_and_every_format_escapes_once(client, post_article, atom_schema):
    stored = [post_article(title=f"T{n} {raw}", summary=raw, author=f"{raw} <desk@example.org>",
                           tags=["text"]) for n, raw in enumerate(CORPUS)]
    for article in stored:  # never markup, whatever a later reader decodes
        for field in ("title", "summary"):
            assert not MARKUP.search(article[field]), article[field]
        assert not MARKUP.search(article["author"].removesuffix(" <desk@example.org>"))
    stored.reverse()  # feeds are newest first
    atom = _entries(client, "atom")
    assert atom_schema.validate(atom), atom_schema.error_log
    for entry, article in zip(atom.findall(f"{ATOM}entry"), stored, strict=True):
        assert entry.findtext(f"{ATOM}title") == article["title"]
        assert entry.findtext(f"{ATOM}summary") == article["summary"]
        assert entry.find(f"{ATOM}title").get("type") is None  # text: readers show it as it is
    rss = _entries(client, "rss")
    for item, article in zip(rss.iter("item"), stored, strict=True):
        assert item.findtext("title") == article["title"]
        assert item.findtext("description") == html.escape(article["summary"], quote=False)  # it is HTML
    feed = json.loads(client.get("/feeds/kazakhstan.json?tag=text&limit=100").data)
    assert [(i["title"], i["summary"]) for i in feed["items"]] == [(a["title"], a["summary"]) for a in stored]
    for fmt in ("rss", "atom"):
        parsed = feedparser.parse(client.get(f"/feeds/kazakhstan.{fmt}?tag=text&limit=100").data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
    for article in stored:
        page = client.get(article["url"].removeprefix("http://localhost")).get_data(as_text=True)
        assert f"<h1>{escape(article['title'])}</h1>" in page


def test_character_data_is_written_as_hex_references(client, post_article):
    post_article(title="Tom & Jerry &lt;b&gt; 1 < 2 > 0", summary="a & b", tags=["text"])
    for fmt in ("rss", "atom"):
        body = client.get(f"/feeds/kazakhstan.{fmt}").data
        assert b"Tom &#x26; Jerry &#x26;lt;b&#x26;gt; 1 &#x3C; 2 &#x3E; 0" in body
        assert b"&amp;" not in body and b"&lt;" not in body and b"&gt;" not in body
