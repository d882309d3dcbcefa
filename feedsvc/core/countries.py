"""The tracked countries (from FEEDSVC_COUNTRIES), ``all`` of them at once, and their change-marker scopes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app, redirect
from werkzeug.wrappers import Response

from config import CountryConfig
from feedsvc.core.urls import local_url

ALL = "all"  # the slug that stands for every tracked country
ALL_NAME = "Central Asia"
ARTICLES_SCOPE = "articles"  # change-marker scope of every article; a country's is "articles:<slug>"
RATES_SCOPE = "rates"
# What /rates/sources.json reports besides the rates: runs, the days each source answered, refusals.
RATE_SOURCES_SCOPE = "rates:sources"


@dataclass(frozen=True)
class Scope:
    """One country, or ``all`` of them: what a feed, listing or widget shows."""

    slug: str
    name: str
    country: CountryConfig | None  # None for ``all``

    @property
    def marker(self) -> str:
        """The change-marker scope whose revision versions this scope's articles."""
        return ARTICLES_SCOPE if self.country is None else country_scope(self.slug)


def country_scope(slug: str) -> str:
    """The change-marker scope of one country's articles."""
    return f"{ARTICLES_SCOPE}:{slug}"


def feed_slug_of_marker(scope: str) -> str | None:
    """The feed slug (a country's, or ``all``) whose articles the marker ``scope`` versions, or None."""
    if scope == ARTICLES_SCOPE:
        return ALL
    prefix = f"{ARTICLES_SCOPE}:"
    return scope[len(prefix):] if scope.startswith(prefix) else None


def tracked() -> tuple[CountryConfig, ...]:
    """The tracked countries, in configured order."""
    return current_app.config["COUNTRIES"]


def tracked_currencies() -> tuple[str, ...]:
    """The tracked countries' currencies, in configured order, without repeats."""
    return tuple(dict.fromkeys(country.currency for country in tracked()))


def find_country(name: str) -> CountryConfig | None:
    """The tracked country whose slug or ISO code is ``name`` (any case), or None."""
    key = name.lower()
    return next((c for c in tracked() if key in (c.slug, c.code)), None)


def find_scope(name: str) -> Scope | None:
    """The scope named by a slug, an ISO code or ``all`` (any case), or None."""
    if name.lower() == ALL:
        return Scope(ALL, ALL_NAME, None)
    country = find_country(name)
    return None if country is None else Scope(country.slug, country.name, country)


def canonical_redirect(endpoint: str, params: Mapping[str, Any], **view_args: Any) -> Response:
    """A 301 to ``endpoint`` with the canonical slug: ISO codes and other cases lead to the slug URL.

    The query string is rebuilt from ``params`` (the parsed query), never from the raw request.
    """
    return redirect(local_url(endpoint, params, **view_args), 301)
