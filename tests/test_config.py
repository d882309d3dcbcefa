"""Configuration: defaults, and a bad value of every FEEDSVC_* variable failing with its name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import config
from config import Config, ConfigError, parse_countries
from feedsvc import create_app
from feedsvc.rates.sources import all_source_classes, default_urls

FEEDSVC = Path(sys.executable).parent / "feedsvc"


def test_defaults() -> None:
    config = Config({})
    assert config.ENV == "development" and config.DATABASE_URL is None and config.PUBLIC_URL is None
    assert config.SCHEDULER is True and config.RATES_SOURCES is None  # the registry's order, below
    assert config.SOURCE_URLS == {} and config.CACHE_URL is None and config.CACHE_KEY_PREFIX == "feedsvc:"
    assert [c.slug for c in config.COUNTRIES] == [
        "kazakhstan", "kyrgyzstan", "tajikistan", "turkmenistan", "uzbekistan",
    ]
    assert len(config.SECRET_KEY) >= 32 and Config({}).SECRET_KEY != config.SECRET_KEY
    assert (config.LIMIT_WRITES, config.LIMIT_AUTH_FAILURES, config.LIMIT_RATES) == (
        "60/minute", "10/minute", "60/minute")
    assert config.TRUSTED_PROXIES == 0


def test_good_values_are_taken() -> None:
    config = Config({
        "FEEDSVC_ENV": "production",
        "FEEDSVC_SECRET_KEY": "k" * 32,
        "FEEDSVC_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/feedsvc",
        "FEEDSVC_PUBLIC_URL": "https://news.example.org/",
        "FEEDSVC_SCHEDULER": "off",
        "FEEDSVC_RATES_CRON": "15 6 * * *",
        "FEEDSVC_RATES_SOURCES": "nbk,currency-api",
        "FEEDSVC_SOURCE_NBK_URL": "http://127.0.0.1:9000/nbk?d={date:%d.%m.%Y}",
        "FEEDSVC_SOURCE_CURRENCY_API_FALLBACK_URL": "http://127.0.0.1:9000/{date:%Y-%m-%d}/usd.json",
        "FEEDSVC_CACHE_URL": "redis://127.0.0.1:6379/0",
        "FEEDSVC_COUNTRIES": "kz:KZT,uz:UZS",
        "FEEDSVC_LIMIT_WRITES": "5 per second; 100 per hour",
        "FEEDSVC_LIMIT_AUTH_FAILURES": "off",
        "FEEDSVC_TRUSTED_PROXIES": "1",
    })
    assert config.LIMIT_WRITES == "5 per second; 100 per hour" and config.LIMIT_AUTH_FAILURES is None
    assert config.TRUSTED_PROXIES == 1
    assert config.PUBLIC_URL == "https://news.example.org" and config.SCHEDULER is False
    assert config.RATES_SOURCES == ("nbk", "currency-api")
    assert config.SOURCE_URLS["nbk"] == "http://127.0.0.1:9000/nbk?d={date:%d.%m.%Y}"
    assert config.SOURCE_URLS["currency-api-fallback"].startswith("http://127.0.0.1:9000/")
    assert [c.code for c in config.COUNTRIES] == ["kz", "uz"]


BAD = [
    ("FEEDSVC_ENV", "staging"),
    ("FEEDSVC_DATABASE_URL", "mysql://localhost/feedsvc"),
    ("FEEDSVC_DATABASE_URL", "postgresql://localhost:notaport/feedsvc"),
    ("FEEDSVC_DATABASE_URL", "postgresql://localhost"),
    ("FEEDSVC_DATABASE_URL", "feedsvc.sqlite3"),
    ("FEEDSVC_PUBLIC_URL", "news.example.org"),
    ("FEEDSVC_PUBLIC_URL", "ftp://news.example.org"),
    ("FEEDSVC_PUBLIC_URL", "https://news.example.org:http/"),
    ("FEEDSVC_SECRET_KEY", "short"),
    ("FEEDSVC_SCHEDULER", "maybe"),
    ("FEEDSVC_RATES_CRON", "every hour"),
    ("FEEDSVC_RATES_CRON", "61 * * * *"),
    ("FEEDSVC_RATES_SOURCES", " , "),
    ("FEEDSVC_SOURCE_NBK_URL", "not a url {date:%Y}"),
    ("FEEDSVC_SOURCE_NBK_URL", "https://x.example/{day:%Y}"),
    ("FEEDSVC_SOURCE_NBK_URL", "https://x.example/{date:%Y"),
    ("FEEDSVC_SOURCE_NBK_CRON", "sometimes"),
    ("FEEDSVC_RATES_CROSSCHECK_PCT", "-5"),
    ("FEEDSVC_RATES_CROSSCHECK_PCT", "five"),
    ("FEEDSVC_CACHE_URL", "memcached://127.0.0.1"),
    ("FEEDSVC_CACHE_PREFIX", ""),
    ("FEEDSVC_CACHE_PREFIX", "two words"),
    ("FEEDSVC_COUNTRIES", "xx:KZT"),
    ("FEEDSVC_COUNTRIES", "kz:XYZ"),
    ("FEEDSVC_COUNTRIES", "kz:KZT,kz:KZT"),
    ("FEEDSVC_COUNTRIES", ""),
    ("FEEDSVC_LIMIT_WRITES", "many"),
    ("FEEDSVC_LIMIT_AUTH_FAILURES", "10 per fortnight"),
    ("FEEDSVC_LIMIT_RATES", ""),
    ("FEEDSVC_TRUSTED_PROXIES", "-1"),
    ("FEEDSVC_TRUSTED_PROXIES", "yes"),
    ("FEEDSVC_SITE_NAME", "x" * 81),
    ("FEEDSVC_SITE_NAME", "Desk\x07"),
    ("FEEDSVC_SITE_TAGLINE", "y" * 161),
    ("FEEDSVC_PUBLISHER", "\x85"),
    ("FEEDSVC_LANGUAGE", "english"),
    ("FEEDSVC_LANGUAGE", "en_US"),
    ("FEEDSVC_SITE_LOGO", "../logo.png"),
    ("FEEDSVC_SITE_LOGO", "logo.exe"),
    ("FEEDSVC_SITE_LOGO", "ftp://cdn.example.org/logo.png"),
]


@pytest.mark.parametrize(("name", "value"), BAD)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config({name: value})


# Only the rate-source registry knows the sources: it checks their names when the app is created.
UNKNOWN_SOURCES = [
    ("FEEDSVC_RATES_SOURCES", "nbk,ecb"),
    ("FEEDSVC_SOURCE_ECB_URL", "https://x.example/{date:%Y}"),
    ("FEEDSVC_SOURCE_NBK_FALLBACK_URL", "https://x.example/{date:%Y}"),
    ("FEEDSVC_SOURCE_ECB_CRON", "7 * * * *"),
]


@pytest.mark.parametrize(("name", "value"), UNKNOWN_SOURCES)
def test_an_unknown_source_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        create_app(config.TestConfig({name: value}, DATABASE_URL="sqlite:///:memory:"))


def test_the_registry_fills_in_the_sources_and_their_urls() -> None:
    nbk = "http://127.0.0.1:9000/nbk?d={date:%d.%m.%Y}"
    app = create_app(config.TestConfig({"FEEDSVC_SOURCE_NBK_URL": nbk}, DATABASE_URL="sqlite:///:memory:"))
    assert app.config["RATES_SOURCES"] == ("nbk", "nbkr", "nbkr-weekly", "nbt", "cbu", "cbt", "peg",
                                           "currency-api")
    assert tuple(all_source_classes()) == app.config["RATES_SOURCES"]
    assert app.config["SOURCE_URLS"] == {**default_urls(), "nbk": nbk}
    assert default_urls()["nbkr-history"].startswith("https://www.nbkr.kg/")
    app.extensions["feedsvc.engine"].dispose()


def test_production_requires_a_secret_key() -> None:
    with pytest.raises(ConfigError, match="FEEDSVC_SECRET_KEY"):
        Config({"FEEDSVC_ENV": "production", "FEEDSVC_PUBLIC_URL": "https://news.example.org"})


def test_the_identity_defaults_to_a_neutral_desk_and_takes_the_operators() -> None:
    neutral = Config({}).SITE
    assert (neutral.name, neutral.publisher, neutral.logo, neutral.language) == (
        "Central Asia News", "Central Asia News", None, "en")
    assert "feedsvc" not in repr(neutral).lower()
    desk = Config({"FEEDSVC_SITE_NAME": "  Oxus   Desk ", "FEEDSVC_SITE_TAGLINE": "Country by country",
                   "FEEDSVC_SITE_LOGO": "oxus.svg", "FEEDSVC_LANGUAGE": "ru-KZ"}).SITE
    assert (desk.name, desk.tagline, desk.logo, desk.publisher, desk.language) == (
        "Oxus Desk", "Country by country", "oxus.svg", "Oxus Desk", "ru-KZ")  # the publisher: the name


def test_a_logo_file_missing_from_the_instance_folder_fails_at_startup(tmp_path) -> None:
    settings = config.TestConfig({"FEEDSVC_SITE_LOGO": "logo.png"}, DATABASE_URL="sqlite:///:memory:")
    with pytest.raises(ConfigError, match="FEEDSVC_SITE_LOGO: no file 'logo.png'"):
        create_app(settings)


def test_countries_are_checked_against_iso_tables() -> None:
    (turkmenistan,) = parse_countries(" tm : tmt ")
    assert (turkmenistan.code, turkmenistan.slug, turkmenistan.currency) == ("tm", "turkmenistan", "TMT")


@pytest.mark.parametrize(("name", "value"), [BAD[0], BAD[9], ("FEEDSVC_SOURCE_ECB_URL", "https://x"),
                                             ("FEEDSVC_RATES_SOURCES", "nbk,ecb"),
                                             ("FEEDSVC_SITE_LOGO", "missing.png")])
def test_the_cli_fails_at_startup_with_the_variable_name(tmp_path, name: str, value: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    env[name] = value
    result = subprocess.run(
        [str(FEEDSVC), "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert name in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("value", "expected"), [("0", 0.0), ("2.5", 2.5), ("3600", 3600.0)])
def test_rates_min_interval_sets_the_pace_of_every_source(value: str, expected: float) -> None:
    assert expected == config.Config({"FEEDSVC_RATES_MIN_INTERVAL": value}).RATES_MIN_INTERVAL
    assert config.Config({}).RATES_MIN_INTERVAL is None  # unset: each source's own pace


@pytest.mark.parametrize("value", ["-1", "abc", "", "nan", "3601"])
def test_a_bad_rates_min_interval_names_the_variable(value: str) -> None:
    with pytest.raises(config.ConfigError, match="FEEDSVC_RATES_MIN_INTERVAL"):
        config.Config({"FEEDSVC_RATES_MIN_INTERVAL": value})
