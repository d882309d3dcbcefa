"""Configuration read from ``FEEDSVC_*`` environment variables and checked once, at startup."""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import pycountry
from apscheduler.triggers.cron import CronTrigger
from limits import parse_many
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_COUNTRIES = "kz:KZT,kg:KGS,tj:TJS,tm:TMT,uz:UZS"
# Where the iframes that survive cleaning may come from: the hosts (and their subdomains) each provider
# serves its embed player from: YouTube's privacy-enhanced player, Vimeo, Twitter/X's widget frames
# (x.com's embed code still loads them) and Telegram's post widget (t.me/<channel>/<id>?embed=1).
DEFAULT_EMBED_HOSTS = "youtube-nocookie.com,player.vimeo.com,platform.twitter.com,t.me"


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
        if any(c.code == country.alpha_2.lower() for c in countries):
            raise ConfigError(f"FEEDSVC_COUNTRIES: {code!r} is listed twice")
        countries.append(CountryConfig(country.alpha_2.lower(), slug, name, currency.strip().upper()))
    if not countries:
        raise ConfigError("FEEDSVC_COUNTRIES: at least one country is required")
    return tuple(countries)


@dataclass(frozen=True)
class SiteIdentity:
    """The desk's identity, wherever a reader sees a name: masthead, titles, feeds, widgets, JSON-LD, oEmbed.

    ``logo`` is an absolute http(s) URL, or the name of a file in the instance folder (served at /site/logo).
    """

    name: str
    tagline: str
    logo: str | None
    publisher: str
    language: str


# Neutral: a reader of a site whose operator set nothing sees a plausible desk, never the software's name.
DEFAULT_SITE_NAME = "Central Asia News"
DEFAULT_TAGLINE = "News and exchange rates from Central Asia"
LOGO_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_LOGO_FILE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def _parse_text(name: str, value: str, maximum: int) -> str:
    text = " ".join(value.split())
    if not text or len(text) > maximum or any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in value.strip()):
        raise ConfigError(f"{name}: expected 1-{maximum} characters of plain text, got {value!r}")
    return text


def _parse_logo(value: str) -> str | None:
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        return _parse_url("FEEDSVC_SITE_LOGO", value, ("http", "https"))
    if not _LOGO_FILE.fullmatch(value) or not value.lower().endswith(LOGO_TYPES):
        raise ConfigError(f"FEEDSVC_SITE_LOGO: expected an http(s) URL or the name of an image file in the "
                          f"instance folder ({', '.join(LOGO_TYPES)}), got {value!r}")
    return value


def parse_identity(env: Mapping[str, str]) -> SiteIdentity:
    """The site's name, tagline, logo, publisher and language from FEEDSVC_SITE_*, _PUBLISHER, _LANGUAGE."""
    name = _parse_text("FEEDSVC_SITE_NAME", env.get("FEEDSVC_SITE_NAME") or DEFAULT_SITE_NAME, 80)
    tagline = _parse_text("FEEDSVC_SITE_TAGLINE", env.get("FEEDSVC_SITE_TAGLINE") or DEFAULT_TAGLINE, 160)
    publisher = _parse_text("FEEDSVC_PUBLISHER", env.get("FEEDSVC_PUBLISHER") or name, 120)
    language = env.get("FEEDSVC_LANGUAGE") or "en"
    if not _LANGUAGE.fullmatch(language) or len(language) > 35:
        raise ConfigError(f"FEEDSVC_LANGUAGE: expected a BCP 47 tag such as en or ru-KZ, got {language!r}")
    logo = _parse_logo(env.get("FEEDSVC_SITE_LOGO", "").strip())
    return SiteIdentity(name, tagline, logo, publisher, language)


def _parse_on_off(name: str, value: str) -> bool:
    if value.lower() not in {"on", "off", "1", "0", "true", "false", "yes", "no"}:
        raise ConfigError(f"{name}: expected on or off, got {value!r}")
    return value.lower() in {"on", "1", "true", "yes"}


_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def crontab_weekday_names(value: str) -> str:
    """Numeric crontab weekdays as names: crontab counts from Sunday = 0, APScheduler 3 from Monday."""
    fields = value.split()
    if len(fields) == 5:
        fields[4] = re.sub(r"(?<![/\d])([0-7])(?!\d)", lambda m: _WEEKDAYS[int(m.group(1))], fields[4])
    return " ".join(fields)


def _parse_cron(name: str, value: str) -> str:
    value = crontab_weekday_names(value)
    try:
        CronTrigger.from_crontab(value, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(f"{name}: not a crontab expression ({exc})") from None
    return value


def _parse_url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in schemes or not parts.hostname or parts.fragment:
        raise ConfigError(f"{name}: expected a {'/'.join(schemes)} URL, got {value!r}")
    return value.rstrip("/")


TEMPLATE_FIELDS = {"date", "start", "end"}


def _parse_url_template(name: str, value: str) -> str:
    """A source URL template: an http(s) URL with ``{date:...}``/``{start}``/``{end}`` placeholders."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
        sample = value.format(date=date(2025, 1, 31), start=date(2025, 1, 1), end=date(2025, 1, 31))
    except (ValueError, KeyError, IndexError, AttributeError) as exc:
        raise ConfigError(f"{name}: not a valid URL template ({exc}); got {value!r}") from None
    if names - TEMPLATE_FIELDS:
        raise ConfigError(f"{name}: unknown placeholders {sorted(names - TEMPLATE_FIELDS)}; "
                          f"allowed: {sorted(TEMPLATE_FIELDS)}")
    _parse_url(name, sample, ("http", "https"))
    return value


def _parse_count(name: str, value: str, high: int) -> int:
    if not (value.isascii() and value.isdigit() and int(value) <= high):
        raise ConfigError(f"{name}: expected a whole number from 0 to {high}, got {value!r}")
    return int(value)


def _parse_limit(name: str, value: str) -> str | None:
    """A rate limit such as ``60/minute`` or ``10 per minute; 100 per day``; ``off`` for none."""
    if value.strip().lower() == "off":
        return None
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(f"{name}: expected a rate limit such as 60/minute, or off; got {value!r}") from None
    return value


def _parse_positive(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise ConfigError(f"{name}: expected a positive number, got {value!r}")
    return number


def _parse_seconds(name: str, value: str, most: float) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 <= number <= most:
        raise ConfigError(f"{name}: expected seconds from 0 to {most:g}, got {value!r}")
    return number


def _source_settings(env: Mapping[str, str], suffix: str) -> dict[str, str]:
    """``FEEDSVC_SOURCE_<NAME>_<SUFFIX>`` values by setting name (``CURRENCY_API`` → ``currency-api``).

    The rate-source registry checks the names when the app is created: only it knows the sources.
    """
    prefix, end = "FEEDSVC_SOURCE_", f"_{suffix}"
    return {
        key[len(prefix):-len(end)].lower().replace("_", "-"): value
        for key, value in env.items()
        if key.startswith(prefix) and key.endswith(end) and len(key) > len(prefix) + len(end) and value
    }


def source_variable(setting: str, suffix: str) -> str:
    """The variable of one source setting: ``nbkr-history``, ``URL`` → ``FEEDSVC_SOURCE_NBKR_HISTORY_URL``."""
    return f"FEEDSVC_SOURCE_{setting.upper().replace('-', '_')}_{suffix}"


def _parse_networks(name: str, value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Comma-separated addresses or networks (``127.0.0.1, 10.0.0.0/8, ::1``)."""
    try:
        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in value.split(",") if part.strip())
    except ValueError:
        raise ConfigError(f"{name}: expected IP addresses or networks separated by commas, "
                          f"got {value!r}") from None


_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def _parse_hosts(name: str, value: str) -> tuple[str, ...]:
    """Comma-separated host names (``player.vimeo.com, t.me``), lower case; empty: none."""
    hosts = tuple(part.strip().lower() for part in value.split(",") if part.strip())
    wrong = [host for host in hosts if not _HOST.fullmatch(host)]
    if wrong:
        raise ConfigError(f"{name}: expected host names separated by commas (such as player.vimeo.com), "
                          f"got {', '.join(map(repr, wrong))}")
    return hosts


def _parse_directory(name: str, value: str | None) -> str | None:
    if value and not os.path.isdir(value):
        raise ConfigError(f"{name}: {value!r} is not a directory")
    return value or None


def _parse_prefix(value: str) -> str:
    """The Redis key prefix: lets several deployments (or test runs) share one Redis."""
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
        raise ConfigError(f"FEEDSVC_CACHE_PREFIX: expected 1-64 letters, digits or _.:-, got {value!r}")
    return value


def _parse_database_url(value: str) -> str:
    scheme = value.split(":", 1)[0]
    try:
        url = make_url(value)
        url.port  # noqa: B018 - a port that is not a number fails here
    except (ArgumentError, ValueError):
        url = None
    known = scheme in {"sqlite", "postgresql", "postgres"} or scheme.startswith(("sqlite+", "postgresql+"))
    if url is None or not known or (not scheme.startswith("sqlite") and not url.database):
        raise ConfigError(
            f"FEEDSVC_DATABASE_URL: expected sqlite:///path or postgresql://user@host:port/db, got {value!r}"
        )
    return value


# FEEDSVC_<name>: seconds, except HTTP_MAX_BYTES. Each upstream request ends by its total timeout
# (retries included) and reads at most HTTP_MAX_BYTES; each source's run stops after RATES_JOB_BUDGET (an
# article upstream's sync after UPSTREAM_JOB_BUDGET) and the next run resumes. A WordPress upstream's
# posts are checked for deletions every UPSTREAM_SWEEP_SECONDS. A database that does not connect or
# answer in time gives 503s, not hung workers.
BUDGETS = {
    "HTTP_TOTAL_TIMEOUT": 30.0,
    "UPSTREAM_JOB_BUDGET": 600.0,
    "UPSTREAM_SWEEP_SECONDS": 3600.0,
    "HTTP_MAX_BYTES": 5 * 1024 * 1024,
    "RATES_JOB_BUDGET": 1800.0,
    "DB_CONNECT_TIMEOUT": 5.0,
    "DB_STATEMENT_TIMEOUT": 30.0,
}


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
    RATES_JUMP_WINDOW_DAYS = 7  # an older observation is no reference for the jump rule
    RATES_GAP_DAYS = 14
    RATES_STALE_HOURS = 48
    RATES_STALE_PUBLISHING_DAYS = 2  # a source (or a served value) is stale after this many days without news
    # Seconds between two requests to one source; None: each source's own polite min_interval.
    RATES_MIN_INTERVAL: float | None = None
    HTTP_CONNECT_TIMEOUT = 5.0
    HTTP_READ_TIMEOUT = 20.0
    HTTP_RETRIES = 3
    HTTP_BACKOFF = 0.5
    WEBSUB_RETRIES = 4  # with the backoff: about 6 s before a hub that stays down is given up
    WEBSUB_BACKOFF = 0.5
    WEBSUB_TIMEOUT = 10.0
    # URLs per sitemap file; more make /sitemap.xml an index. Yoast's 1,000, not sitemaps.org's limit of
    # 50,000: a file costs ~11 µs a URL to build, and one of 50,000 would be half a second at each miss; a
    # file of 2,000 (WordPress's) is 330 KB, and served from the cache it held gunicorn to half its rate.
    SITEMAP_MAX_URLS = 1_000
    SITEMAP_NEWS_MAX_URLS = 1000  # Google News reads at most 1,000 articles per news sitemap
    RATES_CATCH_UP = True  # a scheduler's start updates the sources whose last trigger has no success
    INSTANCE_PATH: str | None = None  # the instance folder; None: Flask's (instance/ beside the code)

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.ENV = env.get("FEEDSVC_ENV", "development")
        if self.ENV not in {"development", "production"}:
            raise ConfigError(f"FEEDSVC_ENV: expected development or production, got {self.ENV!r}")
        url = env.get("FEEDSVC_DATABASE_URL")
        self.DATABASE_URL = _parse_database_url(url) if url else None
        public = env.get("FEEDSVC_PUBLIC_URL")
        self.PUBLIC_URL = _parse_url("FEEDSVC_PUBLIC_URL", public, ("http", "https")) if public else None
        if self.ENV == "production" and not self.PUBLIC_URL:
            # Without it every URL, ETag and cache key would be built from whatever Host a client sends.
            raise ConfigError("FEEDSVC_PUBLIC_URL: required when FEEDSVC_ENV=production "
                              "(e.g. https://news.example.org)")
        self.WEBSUB_HUB = self._parse_hub(env.get("FEEDSVC_WEBSUB_HUB"))
        self.SECRET_KEY = self._parse_secret(env.get("FEEDSVC_SECRET_KEY"))
        self.SCHEDULER = _parse_on_off("FEEDSVC_SCHEDULER", env.get("FEEDSVC_SCHEDULER", "on"))
        self.RATES_CRON = _parse_cron("FEEDSVC_RATES_CRON", env.get("FEEDSVC_RATES_CRON", "7 * * * *"))
        # A job's lease lasts this long without a heartbeat: how soon a holder that died elsewhere frees it.
        self.LEASE_SECONDS = _parse_positive("FEEDSVC_LEASE_SECONDS", env.get("FEEDSVC_LEASE_SECONDS", "30"))
        # For tests: every job fires each N seconds (second=*/N) instead of on its crontab; 0: crontabs.
        seconds = env.get("FEEDSVC_SCHEDULER_SECONDS", "0")
        self.SCHEDULER_SECONDS = _parse_count("FEEDSVC_SCHEDULER_SECONDS", seconds, 59)
        self.RATES_SOURCES = self._parse_sources(env.get("FEEDSVC_RATES_SOURCES"))
        # Overrides only: feedsvc.rates.sources checks the names and fills in each source's defaults.
        self.SOURCE_URLS = {
            name: _parse_url_template(source_variable(name, "URL"), value)
            for name, value in _source_settings(env, "URL").items()
        }
        self.SOURCE_CRONS = {
            name: _parse_cron(source_variable(name, "CRON"), value)
            for name, value in _source_settings(env, "CRON").items()
        }
        if "FEEDSVC_RATES_MIN_INTERVAL" in env:  # else each source's own polite pace (the class default)
            self.RATES_MIN_INTERVAL = _parse_seconds("FEEDSVC_RATES_MIN_INTERVAL",
                                                     env["FEEDSVC_RATES_MIN_INTERVAL"], 3600)
        self.RATES_CROSSCHECK_PCT = _parse_positive(
            "FEEDSVC_RATES_CROSSCHECK_PCT", env.get("FEEDSVC_RATES_CROSSCHECK_PCT", "5")
        )
        cache = env.get("FEEDSVC_CACHE_URL")
        self.CACHE_URL = _parse_url("FEEDSVC_CACHE_URL", cache, ("redis", "rediss")) if cache else None
        self.CACHE_KEY_PREFIX = _parse_prefix(env.get("FEEDSVC_CACHE_PREFIX", "feedsvc:"))
        self.COUNTRIES = parse_countries(env.get("FEEDSVC_COUNTRIES", DEFAULT_COUNTRIES))
        self.SITE = parse_identity(env)
        self.LIMIT_WRITES = _parse_limit("FEEDSVC_LIMIT_WRITES", env.get("FEEDSVC_LIMIT_WRITES", "60/minute"))
        self.LIMIT_AUTH_FAILURES = _parse_limit(
            "FEEDSVC_LIMIT_AUTH_FAILURES", env.get("FEEDSVC_LIMIT_AUTH_FAILURES", "10/minute")
        )
        self.LIMIT_RATES = _parse_limit("FEEDSVC_LIMIT_RATES", env.get("FEEDSVC_LIMIT_RATES", "60/minute"))
        # How many reverse proxies in front may set X-Forwarded-For/-Proto/-Host/-Port (0: none).
        proxies = env.get("FEEDSVC_TRUSTED_PROXIES", "0")
        self.TRUSTED_PROXIES = _parse_count("FEEDSVC_TRUSTED_PROXIES", proxies, 5)
        # Client addresses that may read /metrics without a token (after FEEDSVC_TRUSTED_PROXIES).
        self.METRICS_ALLOW = _parse_networks("FEEDSVC_METRICS_ALLOW", env.get("FEEDSVC_METRICS_ALLOW", ""))
        # prometheus_client's own variable: set under gunicorn, each worker writes its samples there.
        self.METRICS_MULTIPROC_DIR = _parse_directory(
            "PROMETHEUS_MULTIPROC_DIR", env.get("PROMETHEUS_MULTIPROC_DIR")
        )
        embeds = env.get("FEEDSVC_EMBED_HOSTS", DEFAULT_EMBED_HOSTS)
        self.EMBED_HOSTS = _parse_hosts("FEEDSVC_EMBED_HOSTS", embeds)
        # A sync reads at most this many pages (100 posts each) per run; the next run goes on from there.
        self.UPSTREAM_MAX_PAGES = _parse_count("FEEDSVC_UPSTREAM_MAX_PAGES",
                                               env.get("FEEDSVC_UPSTREAM_MAX_PAGES", "500"), 100_000) or 1
        self._parse_budgets(env)

    def _parse_budgets(self, env: Mapping[str, str]) -> None:
        """What an upstream or the database may cost: deadlines, a body cap, a job's wall-clock budget."""
        for name, default in BUDGETS.items():
            variable = f"FEEDSVC_{name}"
            value = _parse_positive(variable, env.get(variable, str(default)))
            setattr(self, name, int(value) if name == "HTTP_MAX_BYTES" else value)

    def _parse_hub(self, value: str | None) -> str | None:
        """The WebSub hub's URL, kept as written (a hub's path may end in a slash)."""
        if not value:
            return None
        _parse_url("FEEDSVC_WEBSUB_HUB", value, ("http", "https"))
        if not self.PUBLIC_URL:
            # The hub is told feed URLs; taken from a request's Host they could name anyone's site.
            raise ConfigError("FEEDSVC_WEBSUB_HUB: needs FEEDSVC_PUBLIC_URL, the base of the feed URLs "
                              "announced to the hub")
        return value

    def _parse_secret(self, value: str | None) -> str:
        if not value:
            if self.ENV == "production":
                raise ConfigError("FEEDSVC_SECRET_KEY: required when FEEDSVC_ENV=production")
            return secrets.token_hex(32)
        if len(value) < 16:
            raise ConfigError("FEEDSVC_SECRET_KEY: too short; use at least 16 random characters")
        return value

    @staticmethod
    def _parse_sources(value: str | None) -> tuple[str, ...] | None:
        """Source names in priority order; None: the registry's default order."""
        if value is None:
            return None
        names = tuple(filter(None, (part.strip() for part in value.split(","))))
        if not names:
            raise ConfigError("FEEDSVC_RATES_SOURCES: empty list; name at least one source")
        return names


class TestConfig(Config):
    """Settings for the test suite: no scheduler, and a database chosen by the test."""

    TESTING = True
    RATES_MIN_INTERVAL = 0.0  # the local test server needs no politeness; tests of the pause set None
    RATES_CATCH_UP = False  # an in-process scheduler of a test must not reach the real upstreams
    # The limits are checked on every request of the suite, but only tests of them set them low.
    GENEROUS = "100000/minute"

    def __init__(self, environ: Mapping[str, str] | None = None, **overrides: object) -> None:
        limits = {f"FEEDSVC_LIMIT_{name}": self.GENEROUS for name in ("WRITES", "AUTH_FAILURES", "RATES")}
        super().__init__({"FEEDSVC_SCHEDULER": "off", **limits, **(environ or {})})
        for key, value in overrides.items():
            setattr(self, key, value)
