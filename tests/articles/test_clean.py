"""Cleaning at write time (DESIGN §4), tested on the functions themselves."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from feedsvc.articles.clean import (
    MAX_TITLE,
    absolute_links,
    clean_article_fields,
    clean_author,
    clean_html,
    clean_text,
    has_illegal,
    is_http_url,
    remove_illegal,
)

BASE = "https://news.example.org/2025/04/story.html"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("<b>again</b>", "again"),
        ("Tom &amp; Jerry", "Tom & Jerry"),
        ("&amp;amp;", "&amp;"),
        ("&lt;b&gt;not a tag&lt;/b&gt;", "&lt;b&gt;not a tag&lt;/b&gt;"),  # typed as text, kept as typed
        ("1 &lt; 2 &gt; 0", "1 < 2 > 0"),
        ("caf&eacute; &#x27;quoted&#39;", "café 'quoted'"),
        ("a&nbsp;b", "a b"),
        ("<script>alert(1)</script>News", "News"),
        ("<p>one</p>\n\n<p>two</p>", "one two"),
        ("  spaced \t out  ", "spaced out"),
        ("x < y & z", "x < y & z"),
        ("Газ и нефть: 5%", "Газ и нефть: 5%"),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_text_is_stored_unescaped_so_output_escapes_it_once() -> None:
    # Stored escaped, a title would reach feeds as &amp;amp; (FreshRSS #7736).
    for raw in ("Tom & Jerry", "Tom &amp; Jerry", "Tom <b>&amp;</b> Jerry"):
        assert clean_text(raw) == "Tom & Jerry"


@pytest.mark.parametrize(
    "char", ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1f", "\x7f", "\x80", "\x85", "\x9f",
             "\ud800", "\udfff", "\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\U0010ffff"],
)
def test_illegal_characters_are_removed(char: str) -> None:
    assert has_illegal(f"a{char}b")
    assert remove_illegal(f"a{char}b") == "ab"
    assert clean_text(f"a{char}b") == "ab"
    assert clean_author(f"a{char}b") == "ab"
    assert clean_html(f"<p>a{char}b</p>", None) == "<p>ab</p>"
    for reference in (f"&#{ord(char)}", f"&#x{ord(char):x};"):  # HTML writes them out as characters
        assert not has_illegal(clean_html(f"<p>a{reference}b</p>", None)), reference


@pytest.mark.parametrize("char", ["\t", "\n", "\r", " ", "é", "\u00a0", "\ud7ff", "\ue000", "\ufffd", "😀"])
def test_legal_characters_are_kept(char: str) -> None:
    assert not has_illegal(char)
    assert remove_illegal(char) == char


def test_author_is_kept_as_given_with_its_address_but_plain_text() -> None:
    assert clean_author("Staff <desk@example.org>") == "Staff <desk@example.org>"
    assert clean_author('"Doe, Jane" <jane@example.org> (desk)') == '"Doe, Jane" <jane@example.org> (desk)'
    assert clean_author("  A.  Writer &amp; B. ") == "A. Writer & B."
    assert clean_author("<b>Ann</b> <script>x()</script> <ann@example.org>") == "Ann <ann@example.org>"
    assert clean_author("&lt;b&gt;Ann&lt;/b&gt;") == "&lt;b&gt;Ann&lt;/b&gt;"


def test_script_and_event_handlers_are_removed() -> None:
    html = clean_html('<p onclick="x()" style="color:red">Hi<script>alert(1)</script></p>', BASE)
    assert html == "<p>Hi</p>"


@pytest.mark.parametrize(
    "href",
    ["javascript:alert(1)", "JAVASCRIPT:alert(1)", " javascript:alert(1)", "vbscript:x", "data:text/html,x"],
)
def test_dangerous_urls_are_removed(href: str) -> None:
    html = clean_html(f'<a href="{href}">x</a><img src="{href}">', BASE)
    assert "script" not in html.lower() and "data:" not in html
    assert ">x</a>" in html


def test_disallowed_elements_are_removed() -> None:
    html = clean_html(
        '<iframe src="https://x.example"></iframe><object></object><style>p{}</style>'
        '<form><input></form><p>kept</p>', BASE,
    )
    assert html == "<p>kept</p>"


def test_relative_urls_become_absolute_against_source_url() -> None:
    html = clean_html('<a href="/about">a</a> <a href="next.html">b</a> <img src="../img/c.png">', BASE)
    assert 'href="https://news.example.org/about"' in html
    assert 'href="https://news.example.org/2025/04/next.html"' in html
    assert 'src="https://news.example.org/2025/img/c.png"' in html


def test_without_a_base_only_paths_on_this_site_are_kept() -> None:
    # "/about" is this site's (made absolute on output); "c.png" is relative to nothing anyone knows, and
    # "//host" and "/\\host" are other hosts to a browser.
    html = clean_html('<a href="/about">a</a><img src="c.png" alt="chart"><a href="//e.org/x">b</a>'
                      '<a href="/\\e.org/x">c</a><a href="?page=2">d</a><a href="javascript:alert(1)">e</a>',
                      None)
    assert html == ('<a href="/about" rel="noopener noreferrer">a</a><img alt="chart">'
                    '<a rel="noopener noreferrer">b</a><a rel="noopener noreferrer">c</a>'
                    '<a rel="noopener noreferrer">d</a><a rel="noopener noreferrer">e</a>')


def test_paths_on_this_site_are_written_out_on_the_sites_root() -> None:
    stored = clean_html('<p><a href="/kazakhstan">K</a> <img src="/assets/a.png" alt="a"></p>', None)
    html = absolute_links(stored, "https://news.example.org/desk/")
    assert 'href="https://news.example.org/desk/kazakhstan"' in html
    assert 'src="https://news.example.org/desk/assets/a.png"' in html
    plain = '<p><a href="https://e.org/" rel="noopener noreferrer">e</a></p>'
    assert absolute_links(plain, "https://news.example.org/") is plain  # nothing to resolve: untouched


def test_relative_urls_are_joined_as_browsers_join_them() -> None:
    # WHATWG URL joining: a query-only link replaces the base's query; what a URL can't hold is escaped.
    html = clean_html('<a href="?page=2">a</a><a href="a b/ü">b</a>', "https://x.example/list?page=1")
    assert 'href="https://x.example/list?page=2"' in html
    assert 'href="https://x.example/a%20b/%C3%BC"' in html


@pytest.mark.parametrize("base", ["https://", "not a url", "/relative"])
def test_a_base_that_is_no_http_url_counts_as_none(base: str) -> None:
    html = clean_html('<a href="about">a</a><a href="/about">b</a>', base)
    assert html == '<a rel="noopener noreferrer">a</a><a href="/about" rel="noopener noreferrer">b</a>'


def test_absolute_urls_are_kept_and_links_get_rel() -> None:
    html = clean_html('<a href="https://example.org/x?a=1&amp;b=2">x</a>', None)
    assert html == '<a href="https://example.org/x?a=1&amp;b=2" rel="noopener noreferrer">x</a>'


def test_allowed_markup_survives() -> None:
    html = "<h2>Head</h2><p><strong>b</strong> <em>i</em></p><ul><li>one</li></ul><blockquote>q</blockquote>"
    assert clean_html(html, None) == html


@pytest.mark.parametrize(
    ("url", "ok"),
    [("https://e.org/a.jpg", True), ("http://e.org", True), ("ftp://e.org/a", False),
     ("javascript:alert(1)", False), ("/a.jpg", False), ("//e.org/a.jpg", False), ("https://", False)],
)
def test_is_http_url(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok


def test_clean_article_fields_cleans_and_bounds() -> None:
    clean = clean_article_fields(
        {"title": "<i>Grain</i> exports", "summary": "a &amp; b", "author": "X <x@example.org>",
         "content_html": '<img src="p.png">', "source_url": BASE},
        BASE,
    )
    assert clean["title"] == "Grain exports" and clean["summary"] == "a & b"
    assert clean["author"] == "X <x@example.org>"
    assert clean["content_html"] == '<img src="https://news.example.org/2025/04/p.png">'


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "<b> </b>"}, "title"),
        ({"title": "x" * (MAX_TITLE + 1)}, "title"),
        ({"content_html": "x" * (1024 * 1024 + 1)}, "content_html"),
        ({"image_url": "javascript:alert(1)"}, "image_url"),
        ({"source_url": "/relative"}, "source_url"),
    ],
)
def test_clean_article_fields_rejects(data: dict, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        clean_article_fields(data, None)
    assert field in raised.value.messages


def test_a_title_at_the_limit_is_fine() -> None:
    assert len(clean_article_fields({"title": "x" * MAX_TITLE}, None)["title"]) == MAX_TITLE


@pytest.mark.parametrize("char", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067",
                                  "\u2068", "\u2069", "\u200b", "\u2060", "\ufeff", "\u180e", "\u2062",
                                  "\u206a", "\ufff9", "\U000e0001"])
def test_bidi_overrides_and_invisible_characters_leave_plain_text(char: str) -> None:
    assert clean_text(f"Pay{char}ment") == "Payment"
    assert clean_author(f"Ann{char} <ann@example.org>") == "Ann <ann@example.org>"
    assert clean_article_fields({"title": f"a{char}b", "summary": f"c{char}d"}, None) == {
        "title": "ab", "summary": "cd"}


@pytest.mark.parametrize("text", [
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian: ZWNJ keeps a prefix apart
    "\u0915\u094d\u200d\u0937",  # Devanagari: ZWJ asks for a half form
    "\U0001f469\u200d\U0001f4bb",  # an emoji sequence joined by ZWJ
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # the flag of Scotland
    "\u05e9\u05dc\u05d5\u05dd (Shalom)\u200f",  # a right-to-left mark placing the parenthesis
])
def test_characters_that_scripts_need_are_kept(text: str) -> None:
    assert clean_text(text) == text
