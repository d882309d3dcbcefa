"""Configuration read from ``FEEDSVC_*`` environment variables and checked once, at startup."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import pycountry
from apscheduler.triggers.cron import CronTrigger

# Every rate source feedsvc knows, with the real upstream URL template of each.
DEFAULT_SOURCE_URLS: dict[str, str] = {
    "nbk": "https://nationalbank.kz/rss/get_rates.cfm?fdate={date:%d.%m.%Y}",
    "nbkr": "https://www.nbkr.kg/XML/daily.xml",
    "nbkr-history": (
        "https://www.nbkr.kg/index1.jsp?item=1562&lang=ENG&valuta_id=15"
        "&beg_day={start:%d}&beg_month={start:%m}&beg_year={start:%Y}"
        "&end_day={end:%d}&end_month={end:%m}&end_year={end:%Y}"
    ),
    "nbt": "https://www.nbt.tj/en/kurs/export_xml.php?date={date:%Y-%m-%d}&export=xmlout",
    "cbu": "https://cbu.uz/en/arkhiv-kursov-valyut/json/all/{date:%Y-%m-%d}/",
    "cbt": "https://cbt.tm/kurs/{date:%Y}/{date:%d%m%Y}.xml",
    "currency-api": (
        "https://cdn.jsdelivr.net/npm/@fawazahmed0/currency-api@{date:%Y-%m-%d}"
        "/v1/currencies/usd.json"
    ),
    "currency-api-fallback": (
        "https://{date:%Y-%m-%d}.currency-api.pages.dev/v1/currencies/usd.json"
    ),
    "peg": "",
}
# Sources that can be enabled in FEEDSVC_RATES_SOURCES (the others are URLs of these).
RATE_SOURCES = ("nbk", "nbkr", "nbt", "cbu", "cbt", "currency-api", "peg")
DEFAULT_COUNTRIES = "kz:KZT,kg:KGS,tj:TJS,tm:TMT,uz:UZS"


class ConfigError(ValueError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class CountryConfig:
    """One tracked country: ISO code, URL slug, English name and currency."""

    code: str
    slug: str
    name: str
    currency: str


def parse_countries(value: str) -> tuple[CountryConfig, ...]:
    """Parse ``kz:KZT,kg:KGS`` into countries checked against the ISO 3166 / 4217 tables."""
    countries = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        code, _, currency = item.partition(":")
        country = pycountry.countries.get(alpha_2=code.strip().upper())
        if country is None or len(code.strip()) != 2:
            raise ConfigError(f"FEEDSVC_COUNTRIES: {code!r} is not an ISO 3166-1 alpha-2 code")
        if pycountry.currencies.get(alpha_3=currency.strip().upper()) is None:
            raise ConfigError(f"FEEDSVC_COUNTRIES: {currency!r} is not an ISO 4217 currency code")
        name = getattr(country, "common_name", country.name)
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        countries.append(CountryConfig(country.alpha_2.lower(), slug, name, currency.upper()))
    if not countries:
        raise ConfigError("FEEDSVC_COUNTRIES: at least one country is required")
    return tuple(countries)


def _parse_on_off(name: str, value: str) -> bool:
    if value.lower() not in {"on", "off", "1", "0", "true", "false", "yes", "no"}:
        raise ConfigError(f"{name}: expected on or off, got {value!r}")
    return value.lower() in {"on", "1", "true", "yes"}


def _parse_cron(name: str, value: str) -> str:
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(f"{name}: not a crontab expression ({exc})") from None
    return value


def _parse_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes or not parts.netloc:
        raise ConfigError(f"{name}: expected a {'/'.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


def _parse_positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise ConfigError(f"{name}: expected a positive number, got {value!r}")
    return number


def _env_name(source: str) -> str:
    return source.upper().replace("-", "_")


def _source_settings(env: Mapping[str, str], suffix: str) -> dict[str, str]:
    """Collect ``FEEDSVC_SOURCE_<NAME>_<SUFFIX>`` values by source name."""
    found = {}
    for source in DEFAULT_SOURCE_URLS:
        value = env.get(f"FEEDSVC_SOURCE_{_env_name(source)}_{suffix}")
        if value:
            found[source] = value
    return found


def _parse_database_url(value: str) -> str:
    scheme = value.split(":", 1)[0]
    if scheme not in {"sqlite", "postgresql", "postgres"} and not scheme.startswith(
        ("sqlite+", "postgresql+")
    ):
        raise ConfigError(
            f"FEEDSVC_DATABASE_URL: expected sqlite:///path or postgresql://..., got {value!r}"
        )
    return value


class Config:
    """Settings of one feedsvc process, read from the environment and validated."""

    TESTING = False
    JSON_SORT_KEYS = False
    MAX_CONTENT_LENGTH = 1024 * 1024
    API_TITLE = "feedsvc"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    RATES_MAX_JUMP_PCT = 50.0
    RATES_GAP_DAYS = 14
    RATES_STALE_HOURS = 48
    HTTP_CONNECT_TIMEOUT = 5.0
    HTTP_READ_TIMEOUT = 20.0
    HTTP_RETRIES = 3
    HTTP_BACKOFF = 0.5

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.ENV = env.get("FEEDSVC_ENV", "development")
        if self.ENV not in {"development", "production"}:
            raise ConfigError(f"FEEDSVC_ENV: expected development or production, got {self.ENV!r}")
        url = env.get("FEEDSVC_DATABASE_URL")
        self.DATABASE_URL = _parse_database_url(url) if url else None
        public = env.get("FEEDSVC_PUBLIC_URL")
        self.PUBLIC_URL = _parse_url("FEEDSVC_PUBLIC_URL", public, ("http", "https")) if public else None
        self.SECRET_KEY = env.get("FEEDSVC_SECRET_KEY") or self._default_secret()
        self.SCHEDULER = _parse_on_off("FEEDSVC_SCHEDULER", env.get("FEEDSVC_SCHEDULER", "on"))
        self.RATES_CRON = _parse_cron("FEEDSVC_RATES_CRON", env.get("FEEDSVC_RATES_CRON", "7 * * * *"))
        self.RATES_SOURCES = self._parse_sources(env.get("FEEDSVC_RATES_SOURCES"))
        self.SOURCE_URLS = {**DEFAULT_SOURCE_URLS, **_source_settings(env, "URL")}
        self.SOURCE_CRONS = {
            name: _parse_cron(f"FEEDSVC_SOURCE_{_env_name(name)}_CRON", value)
            for name, value in _source_settings(env, "CRON").items()
        }
        self.RATES_CROSSCHECK_PCT = _parse_positive(
            "FEEDSVC_RATES_CROSSCHECK_PCT", env.get("FEEDSVC_RATES_CROSSCHECK_PCT", "5")
        )
        cache = env.get("FEEDSVC_CACHE_URL")
        self.CACHE_URL = _parse_url("FEEDSVC_CACHE_URL", cache, ("redis", "rediss")) if cache else None
        self.COUNTRIES = parse_countries(env.get("FEEDSVC_COUNTRIES", DEFAULT_COUNTRIES))

    def _default_secret(self) -> str:
        if self.ENV == "production":
            raise ConfigError("FEEDSVC_SECRET_KEY: required when FEEDSVC_ENV=production")
        return secrets.token_hex(32)

    @staticmethod
    def _parse_sources(value: str | None) -> tuple[str, ...]:
        if value is None:
            return RATE_SOURCES
        names = tuple(filter(None, (part.strip() for part in value.split(","))))
        unknown = [name for name in names if name not in RATE_SOURCES]
        if unknown or not names:
            raise ConfigError(
                f"FEEDSVC_RATES_SOURCES: unknown {', '.join(unknown) or 'empty list'}; "
                f"allowed: {', '.join(RATE_SOURCES)}"
            )
        return names


class TestConfig(Config):
    """Settings for the test suite: no scheduler, and a database chosen by the test."""

    TESTING = True

    def __init__(self, environ: Mapping[str, str] | None = None, **overrides: object) -> None:
        super().__init__({"FEEDSVC_SCHEDULER": "off", **(environ or {})})
        for key, value in overrides.items():
            setattr(self, key, value)
