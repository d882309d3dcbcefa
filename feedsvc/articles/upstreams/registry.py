"""Upstreams as data: adding, finding and removing them, and reading what ``upstreams add`` is given.

An upstream lives in the database, so a running scheduler sees one added or removed at its next check.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.articles.clean import is_http_url
from feedsvc.articles.upstreams.entries import Rule
from feedsvc.core.countries import find_country, tracked
from feedsvc.core.models import Upstream, UpstreamItem

KINDS = ("wordpress", "feed")
NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")
_EVERY = re.compile(r"([0-9]{1,6})([smhd]?)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "": 60}
MIN_EVERY, MAX_EVERY = 60, 7 * 86400  # the scheduler checks once a minute; a week at most
_RULE = re.compile(r"(category|tag):([^=\s]{1,200})=(\S{1,64})")


class UpstreamInputError(ValueError):
    """A value given to ``upstreams add`` is wrong; the message says which and what is allowed."""


@dataclass(frozen=True)
class NewUpstream:
    """What ``upstreams add`` was given, checked."""

    name: str
    url: str
    kind: str
    countries: tuple[str, ...]
    rules: tuple[Rule, ...]
    every_seconds: int
    language: str = "en"


def parse_name(value: str) -> str:
    """An upstream's name: 1-64 lower-case letters, digits and inner hyphens (it is part of a URL)."""
    if not NAME.fullmatch(value):
        raise UpstreamInputError("NAME: use 1 to 64 lower-case letters, digits and inner hyphens (desk-kz)")
    return value


def parse_every(value: str) -> int:
    """``15m``, ``1h``, ``90s``, ``1d`` (a bare number is minutes) as seconds, from 1 minute to 1 week."""
    match = _EVERY.fullmatch(value.strip().lower())
    seconds = int(match[1]) * _UNITS[match[2]] if match else 0
    if not MIN_EVERY <= seconds <= MAX_EVERY:
        raise UpstreamInputError(f"--every: expected a period from 1m to 7d such as 15m or 1h, got {value!r}")
    return seconds


def parse_country(value: str) -> str:
    """A tracked country's slug from its slug or ISO code."""
    country = find_country(value.strip().lower())
    if country is None:
        raise UpstreamInputError(f"unknown country {value!r}; tracked: {', '.join(_tracked_slugs())}")
    return country.slug


def parse_rule(value: str) -> Rule:
    """``category:SLUG=COUNTRY`` or ``tag:SLUG=COUNTRY``."""
    match = _RULE.fullmatch(value.strip())
    if not match:
        raise UpstreamInputError(f"--map: expected category:SLUG=COUNTRY or tag:SLUG=COUNTRY, got {value!r}")
    return Rule(match[1], match[2].lower(), parse_country(match[3]))


def parse_new_upstream(name: str, url: str, kind: str, countries: Sequence[str], rules: Sequence[str],
                       every: str, language: str = "en") -> NewUpstream:
    """Check everything ``upstreams add`` was given; UpstreamInputError names the first mistake."""
    if kind not in KINDS:
        raise UpstreamInputError(f"--kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if not is_http_url(url) or len(url) > 2048:
        raise UpstreamInputError(f"URL: expected an absolute http(s) URL, got {url!r}")
    if not re.fullmatch(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*", language) or len(language) > 35:
        raise UpstreamInputError(f"--language: expected a BCP 47 tag such as en or ru-KZ, got {language!r}")
    return NewUpstream(parse_name(name), url.rstrip("/") if kind == "wordpress" else url, kind,
                       tuple(dict.fromkeys(map(parse_country, countries))), tuple(map(parse_rule, rules)),
                       parse_every(every), language)


def add_upstream(session: Session, new: NewUpstream, now: datetime) -> Upstream:
    """Store a new upstream; UpstreamInputError when the name is taken. The caller commits."""
    if get_upstream(session, new.name) is not None:
        raise UpstreamInputError(f"an upstream called {new.name!r} exists; remove it first")
    upstream = Upstream(name=new.name, url=new.url, kind=new.kind, countries=",".join(new.countries),
                        rules=[[rule.field, rule.slug, rule.country] for rule in new.rules],
                        language=new.language, every_seconds=new.every_seconds, created_at=now)
    session.add(upstream)
    session.flush()
    return upstream


def get_upstream(session: Session, name: str) -> Upstream | None:
    """The upstream called ``name``, or None."""
    return session.scalar(select(Upstream).where(Upstream.name == name))


def list_upstreams(session: Session) -> list[Upstream]:
    """Every upstream, by name."""
    return list(session.scalars(select(Upstream).order_by(Upstream.name)))


def remove_upstream(session: Session, upstream: Upstream) -> int:
    """Forget an upstream, its runs and its items; its articles stay. Return how many it had."""
    kept = count_items(session, upstream.id)
    session.delete(upstream)
    session.flush()
    return kept


def count_items(session: Session, upstream_id: int) -> int:
    """How many of the upstream's posts are articles here."""
    count = select(func.count()).select_from(UpstreamItem).where(UpstreamItem.upstream_id == upstream_id)
    return session.scalar(count) or 0


def rules_of(upstream: Upstream) -> tuple[Rule, ...]:
    """The upstream's mapping rules."""
    return tuple(Rule(field, slug, country) for field, slug, country in upstream.rules or [])


def default_countries(upstream: Upstream) -> tuple[str, ...]:
    """The countries of a post no rule maps."""
    return tuple(filter(None, upstream.countries.split(",")))


def describe_rules(upstream: Upstream) -> str:
    """The rules and the default as ``upstreams add`` took them."""
    parts = [f"{field}:{slug}={country}" for field, slug, country in upstream.rules or []]
    defaults = default_countries(upstream)
    return " ".join(parts + ([f"default {','.join(defaults)}"] if defaults else [])) or "no rules"


def _tracked_slugs() -> list[str]:
    return [country.slug for country in tracked()]
