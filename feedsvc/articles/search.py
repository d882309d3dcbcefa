"""Full-text search with each database's own engine: SQLite FTS5, PostgreSQL tsvector + GIN.

Both rank by relevance (title over summary over body), then newest first, and quote a snippet of each
result with the matched words marked. SQLite's FTS5 table ``article_search`` (porter stemmer: English
only) is kept in step with the articles by triggers; PostgreSQL's table ``article_search`` (id,
published_at, search_vector), kept in step by triggers too, is stemmed per article language (Russian,
English; other languages word for word). Migration 0008 makes both; 0015 moves PostgreSQL's vectors out
of ``articles`` into that table, where ranking reads them without de-TOASTing.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    Text,
    bindparam,
    case,
    column,
    func,
    or_,
    select,
    table,
    text,
)
from sqlalchemy import literal_column as sql
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from feedsvc.articles.search_query import SearchTerms
from feedsvc.articles.store import in_country, visible_at, with_tag
from feedsvc.core.models import Article

# Noncharacters, which cleaning removes from every stored text (feedsvc/articles/clean.py): the engines
# put them around matched words, render_snippet turns them into <mark>, and no article can forge one.
START, STOP = "\ufdd0", "\ufdd1"
_MARKERS = re.compile(f"([{START}{STOP}])")
SNIPPET_WORDS = 28
# PostgreSQL's headline parses and stems all of its input (about 0.17 µs a character, for each of the
# page's rows: 20 articles of 8,000 characters took 27 ms), so it reads a window of the text, from a little
# before the first place where a word of the query appears (as the article's language stems it), or from
# the start when none appears as stemmed (a stem that is not a prefix of the word as written). 600
# characters hold a passage of SNIPPET_WORDS around that place; 1,500 took 3.2 ms a page of 20, 600 take 1.5.
SNIPPET_WINDOW = 600
SNIPPET_LEAD = 150  # characters of the window before that place
WINDOW_WORDS = 8  # the query's words looked for
# A search ranks and counts at most this many matches, the newest: ranking must see every match it
# orders, and a word in most of a 100,000-article archive would otherwise cost seconds.
MAX_MATCHES = 1000

FTS = table("article_search", column("rowid", Integer))
FTS_MATCH = text("article_search MATCH :fts")
BM25 = sql("bm25(article_search, 10.0, 4.0, 1.0)")  # weights of title, summary, body_text

PG_SEARCH = table("article_search", column("id", Integer),
                  column("published_at", Article.published_at.type), column("search_vector"))
VECTOR = PG_SEARCH.c.search_vector
CUSTOM_PLANS = text("SET LOCAL plan_cache_mode = force_custom_plan")
_LANGUAGE = func.lower(Article.language)
# As the stored vectors choose their configuration (migrations 0008 and 0015).
IS_RUSSIAN = or_(_LANGUAGE == "ru", _LANGUAGE.like("ru-%"))
IS_ENGLISH = or_(_LANGUAGE == "en", _LANGUAGE.like("en-%"))


@dataclass(frozen=True)
class SearchHit:
    """An article found by a search, with its highlighted snippet; reads as the article otherwise."""

    article: Article
    snippet: Markup

    def __getattr__(self, name: str) -> Any:
        return getattr(self.article, name)


def render_snippet(marked: str) -> Markup:
    """Escaped text with the engine's marked words in ``<mark>``: stray markers are dropped, tags balanced."""
    out, open_mark = [], False
    for piece in _MARKERS.split(marked):
        if piece in (START, STOP):
            if (piece == START) != open_mark:
                out.append("<mark>" if piece == START else "</mark>")
                open_mark = not open_mark
        else:
            out.append(str(escape(piece)))
    if open_mark:
        out.append("</mark>")
    return Markup("".join(out))  # noqa: S704 - every piece of text is escaped above


def _pg_query(terms: SearchTerms) -> ColumnElement[Any]:
    """The tsquery of ``terms`` in every configuration an article can be indexed with.

    Wanted terms match in any of them (a Russian article's stems, an English one's, or a word as written);
    an excluded term excludes in any of them, so no configuration lets an excluded word through. One
    expression without a per-row choice: the GIN index answers it without reading the articles' vectors.
    """
    wanted, excluded = terms.websearch()

    def either(text_: str, name: str) -> ColumnElement[Any]:
        parsed = [func.websearch_to_tsquery(sql(f"'{config}'::regconfig"), bindparam(name, text_))
                  for config in ("english", "russian", "simple")]
        return func.tsquery_or(func.tsquery_or(parsed[0], parsed[1]), parsed[2])

    query = either(wanted, "wanted")
    return func.tsquery_and(query, func.tsquery_not(either(excluded, "excluded"))) if excluded else query


def newest_matches(terms: SearchTerms, country: str | None, tag: str | None,
                   now: datetime | None) -> Subquery:
    """PostgreSQL: id, published_at and search vector of the newest MAX_MATCHES articles matching ``terms``
    and the filters.

    The GIN index hands matches out by id, newest first, so the walk stops after MAX_MATCHES: a word in
    most articles costs what a rarer one does. ``now`` None: scheduled articles too. The filters read no
    article row: the narrow search table has published_at. The vectors come along for the ranking: looked
    up again by id, they cost ~2 µs a match (1.1 ms for a rare word's 501 matches at 100,000 articles).
    """
    found = (select(PG_SEARCH.c.id, PG_SEARCH.c.published_at, VECTOR)
             .where(VECTOR.op("@@")(_pg_query(terms))))
    if now is not None:
        found = found.where(PG_SEARCH.c.published_at <= now)
    ids = PG_SEARCH.c.id
    if country:
        found = found.where(in_country(country, ids))
    if tag:
        found = found.where(with_tag(tag, ids))
    return found.order_by(ids.desc()).limit(MAX_MATCHES).subquery()


def search_page_pg(session: Session, terms: SearchTerms, country: str | None, tag: str | None,
                   now: datetime | None, limit: int, offset: int,
                   options: Sequence[ExecutableOption] = ()) -> tuple[list[SearchHit], int]:
    """PostgreSQL: a page of hits, best first then newest, with snippets; and how many matched (capped).

    One statement: the candidates ranked with their count (one walk of the index; only the candidates
    are ranked, from the narrow rows the walk read), then the page's articles with their snippets.
    """
    # Every search of one word is the same statement, which psycopg prepares after five runs; PostgreSQL
    # may then keep one generic plan for all words, and a plan fit for a rare word walks every match of a
    # common one (the statement prepared by hand at 100,000 articles: 170-300 ms for a word in most
    # articles, 8 ms of server CPU for the whole search planned for its own words). A plan per query.
    session.execute(CUSTOM_PLANS)
    candidates = newest_matches(terms, country, tag, now)
    ranked = select(candidates.c.id, candidates.c.published_at, func.count().over().label("total"),
                    func.ts_rank(candidates.c.search_vector, _pg_query(terms)).label("score"))
    order = (ranked.selected_columns.score.desc(), candidates.c.published_at.desc(), candidates.c.id.desc())
    page = ranked.order_by(*order).limit(limit).offset(offset).subquery()
    stmt = (select(Article, _pg_headline(terms), page.c.total).options(*options)
            .join(page, page.c.id == Article.id)
            .order_by(page.c.score.desc(), page.c.published_at.desc(), page.c.id.desc()))
    rows = session.execute(stmt).all()
    if not rows:  # past the last page (or nothing found): the count alone
        return [], session.scalar(select(func.count()).select_from(candidates)) or 0
    return [SearchHit(article, render_snippet(marked or "")) for article, marked, _ in rows], rows[0][2]


def sqlite_page(session: Session, terms: SearchTerms, country: str | None, tag: str | None,
                now: datetime | None, start: int, size: int) -> tuple[list[int], int]:
    """SQLite: the ids of one page of results, best first, and how many matches were ranked.

    One walk of the index gives the newest MAX_MATCHES matches with their bm25 scores, which SQLite keeps
    and orders; only the matches up to the page's last score (and its ties) come back, with the count.
    Only the matches whose score ties one on the page have their ``published_at`` read (the tie break):
    an article's row is large, and reading hundreds of them was most of a search's cost.
    """
    matches = _sqlite_matches(terms, country, tag, now).cte("matches")  # used thrice: kept, not rerun
    score = matches.c.score
    last = select(score).order_by(score).limit(1).offset(start + size - 1).scalar_subquery()
    total = select(func.count()).select_from(matches).scalar_subquery()
    rows = session.execute(select(matches.c.rowid, score, total)
                           .where(or_(last.is_(None), score <= last)).order_by(score)).all()
    scored = [(article_id, found) for article_id, found, _ in rows]
    page = scored[start:start + size]
    if not page:
        return [], rows[0][2] if rows else 0
    scores = [found for _, found in scored]
    first, last_tie = bisect_left(scores, page[0][1]), bisect_right(scores, page[-1][1])
    tied = [article_id for article_id, _ in scored[first:last_tie]]
    published = select(Article.id, Article.published_at).where(Article.id.in_(tied))
    when: dict[int, datetime] = dict(session.execute(published).all())
    # Stable sorts, least significant key first: id, then published_at, newest first; then the score.
    tied.sort(reverse=True)
    tied.sort(key=when.__getitem__, reverse=True)
    tied.sort(key=dict(scored[first:last_tie]).__getitem__)
    return tied[start - first:start - first + size], rows[0][2]


def _sqlite_matches(terms: SearchTerms, country: str | None, tag: str | None,
                    now: datetime | None) -> Select[tuple[int, float]]:
    """Ids and bm25 scores (lower is better) of the newest MAX_MATCHES matches; ``now`` None: scheduled too.

    The filters read no article row: an article is large (its text comes before published_at), and a rare
    word's matches are spread over the whole file.
    """
    found = select(FTS.c.rowid, BM25.label("score")).where(FTS_MATCH.bindparams(fts=terms.fts5()))
    if now is not None:  # the scheduled few, from the (published_at, id) index
        found = found.where(FTS.c.rowid.not_in(select(Article.id).where(~visible_at(now))))
    if country:
        found = found.where(in_country(country, FTS.c.rowid))
    if tag:
        found = found.where(with_tag(tag, FTS.c.rowid))
    return found.order_by(FTS.c.rowid.desc()).limit(MAX_MATCHES)


def _sqlite_snippets(session: Session, terms: SearchTerms, ids: Sequence[int]) -> dict[int, Markup]:
    """SQLite: a highlighted snippet of each article in ``ids`` (a page of results, not the whole match)."""
    if not ids:
        return {}

    def cut(number: int) -> Any:
        return sql(f"snippet(article_search, {number}, '{START}', '{STOP}', ' … ', {SNIPPET_WORDS})")

    # One walk of the matches between the page's first and last id, kept to the page's ids by a test FTS5
    # is not shown (the unary +): given ``rowid IN``, SQLite starts the query once per id, and at 100,000
    # articles each start costs ~20 µs before its snippets.
    stmt = (select(FTS.c.rowid, cut(1), cut(2)).where(FTS_MATCH.bindparams(fts=terms.fts5()))
            .where(FTS.c.rowid.between(min(ids), max(ids)), sql("+article_search.rowid").in_(ids)))
    found = {}
    for article_id, summary, body in session.execute(stmt):
        # The summary when the words are in it, else the body's passage, else the summary's start.
        best = summary if START in (summary or "") or START not in (body or "") else body
        found[article_id] = render_snippet(best or "")
    return found


def _pg_headline(terms: SearchTerms) -> ColumnElement[Any]:
    """An article's summary and body (a window of SNIPPET_WINDOW characters) with the words of ``terms``
    marked."""
    config = case((IS_RUSSIAN, sql("'russian'::regconfig")), (IS_ENGLISH, sql("'english'::regconfig")),
                  else_=sql("'simple'::regconfig"))
    whole = Article.summary + " " + Article.body_text
    window = func.substr(whole, func.greatest(_first_place(terms, func.lower(whole)) - SNIPPET_LEAD, 1),
                         SNIPPET_WINDOW)
    # The engine's markers taken out of the window only (cleaning keeps them out of stored text; this is in
    # case): over the whole text, twice, translate cost a row 35 µs of 100 at 1,300 characters.
    source = func.translate(window, START + STOP, "")
    options = (f'StartSel="{START}", StopSel="{STOP}", MaxWords={SNIPPET_WORDS}, MinWords=12, '
               'MaxFragments=2, FragmentDelimiter=" … "')
    return func.ts_headline(config, source, _pg_query(terms), options)


def _first_place(terms: SearchTerms, lowered: ColumnElement[str]) -> ColumnElement[int]:
    """Where the first of the query's words appears in ``lowered``, stemmed as the article's language
    stems it (1 when none does): ``strpos`` reads the text at C speed, a headline does not."""
    dictionary = case((IS_RUSSIAN, sql("'russian_stem'::regdictionary")),
                      (IS_ENGLISH, sql("'english_stem'::regdictionary")),
                      else_=sql("'simple'::regdictionary"))
    words = [word for group in terms.groups for phrase in group for word in phrase][:WINDOW_WORDS]
    places = []
    for number, word in enumerate(words):
        given = bindparam(f"window_{number}", word)
        stem = func.ts_lexize(dictionary, given, type_=ARRAY(Text))[1]  # NULL for a stop word
        places.append(func.nullif(func.strpos(lowered, func.coalesce(stem, given)), 0))
    return func.coalesce(func.least(*places), 1)


def sqlite_hits(session: Session, terms: SearchTerms, articles: Sequence[Article]) -> list[SearchHit]:
    """SQLite: the articles of a page of results with their snippets (PostgreSQL's come with its page)."""
    found = _sqlite_snippets(session, terms, [a.id for a in articles])
    return [SearchHit(a, found.get(a.id, Markup(""))) for a in articles]

