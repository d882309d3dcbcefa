"""The registry of rate sources: every source class, its URL settings, and the enabled sources built
from the config (FEEDSVC_RATES_SOURCES, FEEDSVC_SOURCE_<NAME>_URL and _CRON, checked against it)."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from config import ConfigError, source_variable
from feedsvc.rates.sources.base import NoData, Observation, Refusal, Source, SourceError, Table
from feedsvc.rates.sources.cbt import CBT
from feedsvc.rates.sources.cbu import CBU
from feedsvc.rates.sources.currency_api import CurrencyApi
from feedsvc.rates.sources.nbk import NBK
from feedsvc.rates.sources.nbkr import NBKR
from feedsvc.rates.sources.nbkr_weekly import NBKRWeekly
from feedsvc.rates.sources.nbt import NBT
from feedsvc.rates.sources.peg import Peg

__all__ = ["NoData", "Observation", "Refusal", "Source", "SourceError", "Table", "all_source_classes",
           "build_sources", "configure_sources", "default_urls"]

# Every source, in the default priority order: each currency's own bank first (NBKR's weekly table after
# its daily one), then the TMT peg, so that TMT is served at the official rate when CBT is silent, and
# currency-api's market estimate last.
SOURCE_CLASSES: tuple[type[Source], ...] = (NBK, NBKR, NBKRWeekly, NBT, CBU, CBT, Peg, CurrencyApi)


def all_source_classes() -> dict[str, type[Source]]:
    """Every implemented source class by name, in default priority order."""
    return {cls.name: cls for cls in SOURCE_CLASSES}


def default_urls() -> dict[str, str]:
    """Each URL setting's real upstream template: ``<name>``, ``<name>-fallback``, ``<name>-history``."""
    urls: dict[str, str] = {}
    for cls in SOURCE_CLASSES:
        urls[cls.name] = cls.default_url
        if cls.default_fallback_url is not None:
            urls[f"{cls.name}-fallback"] = cls.default_fallback_url
        if cls.default_history_url is not None:
            urls[f"{cls.name}-history"] = cls.default_history_url
    return urls


def configure_sources(config: MutableMapping[str, Any]) -> None:
    """Check the source settings against the registry; fill in the default order and URLs.

    Raises ConfigError naming the variable of a source that does not exist.
    """
    classes = all_source_classes()
    names = config.get("RATES_SOURCES") or tuple(classes)
    unknown = [name for name in names if name not in classes]
    if unknown:
        raise ConfigError(f"FEEDSVC_RATES_SOURCES: unknown {', '.join(unknown)}; "
                          f"allowed: {', '.join(classes)}")
    defaults = default_urls()
    _check_names(config.get("SOURCE_URLS") or {}, defaults, "URL")
    _check_names(config.get("SOURCE_CRONS") or {}, classes, "CRON")
    config["RATES_SOURCES"] = tuple(names)
    config["SOURCE_URLS"] = {**defaults, **(config.get("SOURCE_URLS") or {})}


def _check_names(settings: Mapping[str, str], known: Mapping[str, object], suffix: str) -> None:
    for setting in settings:
        if setting not in known:
            allowed = ", ".join(source_variable(name, suffix) for name in known)
            raise ConfigError(f"{source_variable(setting, suffix)}: no such source; known: {allowed}")


def source_schedule(name: str, config: Mapping[str, Any]) -> str:
    """The UTC crontab of ``name``'s update job: its override, its own default, else RATES_CRON."""
    return (config.get("SOURCE_CRONS") or {}).get(name) or all_source_classes()[name].default_cron \
        or config["RATES_CRON"]


def build_sources(config: Mapping[str, Any]) -> dict[str, Source]:
    """The enabled sources in priority order, on their configured (else default) URL templates."""
    classes = all_source_classes()
    urls = {**default_urls(), **(config.get("SOURCE_URLS") or {})}
    return {
        name: classes[name](urls[name], urls.get(f"{name}-fallback"), urls.get(f"{name}-history"))
        for name in config.get("RATES_SOURCES") or classes
    }
