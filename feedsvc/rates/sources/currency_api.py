"""``currency-api``: the open daily dataset of npm package ``@fawazahmed0/currency-api``."""

from __future__ import annotations

import functools
import json
from datetime import date
from decimal import Decimal

import pycountry
import requests

from feedsvc.rates.constants import USD
from feedsvc.rates.sources.base import NoData, Observation, Refusal, Source, SourceError, Table, http_get


class CurrencyApi(Source):
    """1 USD in some 300 codes daily since 2024-03-02 (all five tracked currencies), lower-case codes."""

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
        """Download from the CDN; ask the fallback once when the CDN says 404 or is down.

        NoData only when both answered 404: a fallback's 404 after a CDN that did not answer (5xx,
        timeout, refused, oversize) says nothing of the day, so the CDN's error is raised instead.
        """
        try:
            return http_get(http, self.url_for(day), timeout, self.user_agent)
        except (NoData, requests.RequestException) as exc:
            primary: Exception = exc
            fallback = self.fallback_url_for(day)
            if fallback is None:
                raise
        # fawazahmed0/exchange-api's README documents both as equal mirrors; a 404 on the CDN often means the
        # version was not yet published there while the Pages build already exists.
        try:
            return http_get(http, fallback, timeout, self.user_agent)
        except NoData:
            if isinstance(primary, NoData):
                raise
            raise primary from None

    def parse(self, payload: bytes, day: date) -> Table:
        """Pure: 1 USD in every ISO 4217 currency of one ``usd.json`` payload, values exactly as published.

        Crypto-assets and other codes ISO 4217 does not list (pycountry) are left out; a value that is not
        a positive number is refused for its currency alone.
        """
        document = _load_json(payload)
        try:
            published = date.fromisoformat(document["date"])
            rates = document["usd"]
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"currency-api: not a usd.json payload ({exc!r})") from None
        if not isinstance(rates, dict):
            raise SourceError("currency-api: 'usd' is not an object")
        table = Table([], [])
        for code, value in rates.items():
            currency = code.upper()
            if currency == USD or not iso_currency(currency):
                continue
            try:
                table.observations.append(Observation(published, USD, currency, _to_decimal(code, value)))
            except SourceError as exc:
                table.refused.append(Refusal(published, USD, currency, str(exc)))
        if not table.observations and not table.refused:
            raise NoData(f"currency-api: no currency in the payload of {published}")
        return table


@functools.cache
def iso_currency(code: str) -> bool:
    """True when ``code`` is an ISO 4217 currency code (pycountry's list)."""
    return len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None


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
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or number <= 0:
        raise SourceError(f"currency-api: {code} is not a positive number: {value!r}")
    return number
