"""Tracked countries: lookup by slug or ISO code from the config, ``all``, scopes and the canonical 301."""

from __future__ import annotations

from feedsvc.core.countries import (
    ALL_NAME,
    canonical_redirect,
    find_country,
    find_scope,
    tracked_currencies,
)


def test_lookup_by_slug_or_code_in_any_case(app) -> None:
    with app.app_context():
        assert find_country("KZ").slug == "kazakhstan"
        assert find_country("Kazakhstan").code == "kz"
        assert find_country("narnia") is None
        assert find_country("all") is None


def test_scopes_name_their_change_marker(app) -> None:
    with app.app_context():
        assert (find_scope("ALL").slug, find_scope("all").name, find_scope("all").marker) == (
            "all", ALL_NAME, "articles")
        assert find_scope("kg").marker == "articles:kyrgyzstan"
        assert find_scope("atlantis") is None


def test_the_tracked_currencies_follow_the_config(app_factory) -> None:
    from config import parse_countries

    app = app_factory(COUNTRIES=parse_countries("uz:UZS,kz:KZT,kg:KGS"))
    with app.app_context():
        assert tracked_currencies() == ("UZS", "KZT", "KGS")
        assert find_country("tj") is None


def test_the_canonical_redirect_is_built_from_the_parsed_query_only(app) -> None:
    with app.test_request_context("/feeds/KZ.rss?_external=1&_scheme=javascript"):
        response = canonical_redirect("feeds.get_feed", {"limit": 5, "tag": None}, country="kazakhstan",
                                      fmt="rss")
    assert response.status_code == 301
    assert response.headers["Location"] == "/feeds/kazakhstan.rss?limit=5"
