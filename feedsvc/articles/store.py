"""The article store: queries and writes. Every write bumps the change markers it affects."""

from __future__ import annotations

import uuid as uuid_lib
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from feedsvc.articles.clean import clean_article_fields, html_to_text
from feedsvc.articles.counts import add_counts, article_keys, count_change
from feedsvc.core.changes import bump_markers
from feedsvc.core.countries import ARTICLES_SCOPE, country_scope, find_country
from feedsvc.core.models import Article, Country, DeletedArticle, Tag, article_countries, article_tags


def get_article(session: Session, article_id: int) -> Article | None:
    """The article with this id (published or scheduled), or None."""
    return session.get(Article, article_id)


def is_deleted(session: Session, article_id: int) -> bool:
    """True when an article with this id existed and was deleted (its URL is gone, not missing)."""
    return session.get(DeletedArticle, article_id) is not None


def visible_at(now: datetime) -> ColumnElement[bool]:
    """Articles published at or before ``now``: every public listing, feed and search filters with it.

    An article whose ``published_at`` is later is scheduled: stored, shown only to token holders.
    """
    return Article.published_at <= now


def is_scheduled(article: Article, now: datetime | None = None) -> bool:
    """True while the article's ``published_at`` is still ahead."""
    return article.published_at > (now or datetime.now(UTC))


def get_article_by_external_id(session: Session, external_id: str) -> Article | None:
    """The article imported with this external id, or None."""
    return session.scalar(select(Article).where(Article.external_id == external_id))


def in_country(slug: str, article_id: ColumnElement[int] = Article.id) -> ColumnElement[bool]:
    """Articles (their ids in ``article_id``) linked to the country ``slug``.

    EXISTS on the link table's primary key, not "id IN (all the country's ids)": the database then walks
    the (published_at, id) index newest first and stops after a page, instead of sorting every article
    of the country (0.2 ms instead of 90 ms for a page at 100 000 articles on SQLite).
    """
    country_id = select(Country.id).where(Country.slug == slug).scalar_subquery()
    return exists().where(article_countries.c.article_id == article_id,
                          article_countries.c.country_id == country_id)


def with_tag(slug: str, article_id: ColumnElement[int] = Article.id) -> ColumnElement[bool]:
    """Articles (their ids in ``article_id``) carrying the tag ``slug`` (tags are stored lower-case)."""
    tag_id = select(Tag.id).where(Tag.slug == slug.lower()).scalar_subquery()
    return exists().where(article_tags.c.article_id == article_id, article_tags.c.tag_id == tag_id)


def filter_articles(
    stmt: Select[Any], country: str | None = None, tag: str | None = None, now: datetime | None = None,
) -> Select[Any]:
    """Apply the listing filters (country slug, tag slug; visible at ``now``) to a select.

    ``now`` None means every article, scheduled ones included (for token holders and exports).
    """
    if now is not None:
        stmt = stmt.where(visible_at(now))
    if country:
        stmt = stmt.where(in_country(country))
    if tag:
        stmt = stmt.where(with_tag(tag))
    return stmt


def newest_first(stmt: Select[Any]) -> Select[Any]:
    """Order by ``published_at`` desc, then ``id`` desc."""
    return stmt.order_by(Article.published_at.desc(), Article.id.desc())


def newest_articles(session: Session, country: str | None, tag: str | None, limit: int) -> list[Article]:
    """The newest ``limit`` published articles of a country slug (None: every country), maybe with a tag."""
    stmt = newest_first(filter_articles(select(Article), country, tag, now=datetime.now(UTC))).limit(limit)
    return list(session.scalars(stmt))


def list_countries(session: Session) -> list[Country]:
    """The tracked countries in configured order."""
    return list(session.scalars(select(Country).order_by(Country.position)))


def _resolve_countries(session: Session, names: Sequence[str]) -> list[Country]:
    by_key = {}
    for country in list_countries(session):
        by_key[country.slug] = by_key[country.code] = country
    unknown = [name for name in names if name.lower() not in by_key]
    if unknown:
        allowed = ", ".join(sorted({c.slug for c in by_key.values()}))
        raise ValidationError({"countries": [f"unknown {', '.join(unknown)}; allowed: {allowed}"]})
    chosen = {by_key[name.lower()].id: by_key[name.lower()] for name in names}
    return sorted(chosen.values(), key=lambda c: c.position)


def _resolve_tags(session: Session, slugs: Sequence[str]) -> list[Tag]:
    wanted = sorted({slug.lower() for slug in slugs})
    found = {t.slug: t for t in session.scalars(select(Tag).where(Tag.slug.in_(wanted)))}
    for slug in wanted:
        if slug not in found:
            found[slug] = Tag(slug=slug)
            session.add(found[slug])
    return [found[slug] for slug in wanted]


def _scopes(countries: Sequence[Country]) -> set[str]:
    return {ARTICLES_SCOPE} | {country_scope(c.slug) for c in countries}


def changed_fields(session: Session, article: Article, data: Mapping[str, Any]) -> set[str]:
    """Names of the fields whose cleaned new value differs from what the article holds."""
    clean = clean_article_fields(data, data.get("source_url") or article.source_url)
    changed = set()
    for key, value in clean.items():
        if key == "uuid":
            continue  # a uuid never changes
        if key == "countries":
            found = [find_country(name) for name in value]
            # An unknown country counts as a change: the update then reports it.
            value = None if None in found else sorted({c.slug for c in found if c is not None})
            current: Any = sorted(c.slug for c in article.countries)
        elif key == "tags":
            value, current = sorted({tag.lower() for tag in value or []}), [t.slug for t in article.tags]
        else:
            current = getattr(article, key)
            if key in ("summary", "content_html") and value is None:
                value = ""
        if value != current:
            changed.add(key)
    return changed


def new_article_values(clean: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """Column values of a new article from cleaned fields (less countries and tags), with the defaults."""
    defaults = {"summary": "", "content_html": "", "language": "en", "published_at": now}
    values = {**defaults, **{k: v for k, v in clean.items() if v is not None}}
    return {**values, "uuid": str(values.pop("uuid", None) or uuid_lib.uuid4()), "updated_at": now,
            "body_text": html_to_text(values["content_html"])}


def create_article(
    session: Session, data: Mapping[str, Any], *, base_url: str | None = None,
    now: datetime | None = None,
) -> Article:
    """Create an article from validated input; the caller commits."""
    now = now or datetime.now(UTC)
    clean = clean_article_fields(data, base_url or data.get("source_url"))
    countries = _resolve_countries(session, clean.pop("countries"))
    tags = _resolve_tags(session, clean.pop("tags", None) or [])
    article = Article(**new_article_values(clean, now))
    article.countries, article.tags = countries, tags
    session.add(article)
    bump_markers(session, _scopes(countries), now)
    session.flush()
    add_counts(session, Counter(article_keys(session, article)))
    return article


def update_article(
    session: Session, article: Article, data: Mapping[str, Any], *,
    base_url: str | None = None, now: datetime | None = None,
) -> Article:
    """Apply a partial update; the uuid never changes. The caller commits."""
    now = now or datetime.now(UTC)
    bump_markers(session, apply_update(session, article, data, base_url=base_url, now=now), now)
    session.flush()
    return article


def apply_update(
    session: Session, article: Article, data: Mapping[str, Any], *, base_url: str | None = None,
    now: datetime,
) -> set[str]:
    """Apply a partial update without bumping markers; return the scopes to bump (a batch bumps once)."""
    clean = clean_article_fields(data, base_url or data.get("source_url") or article.source_url)
    clean.pop("uuid", None)
    if clean.get("image_url", article.image_url) != article.image_url:
        # Another image: the old one's size and description would be wrong for it.
        clean = {"image_width": None, "image_height": None, "image_alt": None, **clean}
    scopes = _scopes(article.countries)
    counted = article_keys(session, article)
    if "countries" in clean:
        article.countries = _resolve_countries(session, clean.pop("countries"))
    if "tags" in clean:
        article.tags = _resolve_tags(session, clean.pop("tags") or [])
    for key, value in clean.items():
        if key in ("summary", "content_html") and value is None:
            value = ""
        if key in ("title", "published_at", "language") and value is None:
            raise ValidationError({key: ["may not be null"]})
        setattr(article, key, value)
        if key == "content_html":
            article.body_text = html_to_text(value)
    article.updated_at = now
    if {"countries", "tags", "published_at"} & data.keys():  # what places it in listings
        add_counts(session, count_change(counted, article_keys(session, article)))
    return scopes | _scopes(article.countries)


def delete_article(session: Session, article: Article, *, now: datetime | None = None) -> None:
    """Delete an article and keep a tombstone of its id; its feeds see the deletion through the markers."""
    now = now or datetime.now(UTC)
    bump_markers(session, _scopes(article.countries), now)
    add_counts(session, count_change(article_keys(session, article), []))
    session.add(DeletedArticle(id=article.id, deleted_at=now))
    session.delete(article)  # the ORM removes its country and tag links
    session.flush()
