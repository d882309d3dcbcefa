"""The search box's syntax (one parse for both databases) and the snippet renderer."""

from __future__ import annotations

import pytest

from feedsvc.articles.search import START, STOP, render_snippet
from feedsvc.articles.search_query import MAX_TERMS, parse_search_terms


@pytest.mark.parametrize(("q", "groups", "excluded"), [
    ("metro", [[("metro",)]], []),
    ('"ring line" metro', [[("ring", "line")], [("metro",)]], []),
    ("metro -Tashkent", [[("metro",)]], [("tashkent",)]),
    ('metro -"ring line"', [[("metro",)]], [("ring", "line")]),
    ("rail or road tender", [[("rail",), ("road",)], [("tender",)]], []),
    ('"ring line', [[("ring", "line")]], []),  # an unbalanced quote runs to the end
    ("NEAR(metro, line)", [[("near", "metro")], [("line",)]], []),
    ("metr* ^line title:x", [[("metr",)], [("line",)], [("title", "x")]], []),
    ("or metro or or", [[("metro",)]], []),
    ("1_0 e-mail", [[("1", "0")], [("e", "mail")]], []),
])
def test_parse(q, groups, excluded) -> None:
    terms = parse_search_terms(q)
    assert [list(group) for group in terms.groups] == groups
    assert list(terms.excluded) == excluded


@pytest.mark.parametrize("q", ["", "   ", "-metro", '- or "" -', "*", "(", ":^", '""', "-\"a b\""])
def test_nothing_asked_for(q) -> None:
    assert not parse_search_terms(q)


def test_engine_strings_hold_only_quoted_words() -> None:
    terms = parse_search_terms('"ring line" rail or road -tashkent AND NOT "x')
    assert terms.fts5() == ('("ring line") AND ("rail" OR "road") AND ("and") AND ("not") AND ("x") '
                            'NOT "tashkent"')
    assert terms.websearch() == ('"ring line" "rail" or "road" "and" "not" "x"', '"tashkent"')


def test_long_queries_are_cut() -> None:
    terms = parse_search_terms("word " * 500)
    assert len(terms.groups) == MAX_TERMS


def test_snippets_escape_text_and_balance_marks() -> None:
    assert render_snippet(f"a <b>&{START}c{STOP}") == "a &lt;b&gt;&amp;<mark>c</mark>"
    assert render_snippet(f"{STOP}x{START}y") == "x<mark>y</mark>"  # a stray end, an open start
    assert render_snippet(f"{START}{START}z{STOP}{STOP}") == "<mark>z</mark>"
