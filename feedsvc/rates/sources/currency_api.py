"""``currency-api``: the open daily dataset of npm package ``@fawazahmed0/currency-api``."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import requests

from feedsvc.rates.sources.base import NoData, Observation, Source, SourceError, http_get


class CurrencyApi(Source):
    """All five currencies daily since 2024-03-02, units per 1 USD, lower-case codes."""

    name = "currency-api"
    currencies = ("KZT", "KGS", "TJS", "TMT", "UZS")
    history_start = date(2024, 3, 2)  # the dataset's first published day
    # jsDelivr is a CDN made for heavy traffic, but each day is its own npm version that it may have to
    # fetch from the registry first: two requests a second stay modest.
    min_interval = 0.5
    default_url = (
        "https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@{date:%Y-%m-%d}/v1/currencies/usd.json"
    )
    default_fallback_url = "https://{date:%Y-%m-%d}.currency-api.pages.dev/v1/currencies/usd.json"
    attribution = "fawazahmed0/exchange-api (jsDelivr CDN, Cloudflare Pages fallback)"
    terms = "CC0-1.0, free to use without attribution"

    def fallback_url_for(self, day: date) -> str | None:
        """The fallback mirror's URL of ``day``'s data, if a fallback is configured."""
        return self.fallback_template.format(date=day) if self.fallback_template else None

    def fetch(self, http: requests.Session, day: date, timeout: tuple[float, float]) -> bytes:
        """Download from the CDN; ask the fallback once when the CDN says 404 or is down."""
        try:
            return http_get(http, self.url_for(day), timeout, self.user_agent)
        except (NoData, requests.RequestException):
            fallback = self.fallback_url_for(day)
            if fallback is None:
                raise
        # fawazahmed0/exchange-api's README documents both as equal mirrors; a 404 on the CDN often means the
        # version was not yet published there while the Pages build already exists.
        return http_get(http, fallback, timeout, self.user_agent)

    def parse(self, payload: bytes, day: date) -> list[Observation]:
        """Pure: the tracked currencies of one ``usd.json`` payload, values exactly as published."""
        document = _load_json(payload)
        try:
            published = date.fromisoformat(document["date"])
            rates = document["usd"]
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"currency-api: not a usd.json payload ({exc!r})") from None
        if not isinstance(rates, dict):
            raise SourceError("currency-api: 'usd' is not an object")
        found = [
            Observation(published, code, _to_decimal(code, rates[code.lower()]))
            for code in self.currencies
            if code.lower() in rates
        ]
        if not found:
            raise SourceError("currency-api: none of the tracked currencies in the payload")
        return found


def _load_json(payload: bytes) -> dict:
    # parse_float=Decimal keeps every published digit (float would round 12968.91140011).
    try:
        document = json.loads(payload, parse_float=Decimal)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"currency-api: body is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise SourceError("currency-api: body is not a JSON object")
    return document


def _to_decimal(code: str, value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise SourceError(f"currency-api: {code} is not a number: {value!r}")
    return value if isinstance(value, Decimal) else Decimal(str(value))
