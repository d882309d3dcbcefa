"""The registry of rate sources: name → class, and the enabled sources built from the config."""

from __future__ import annotations

from collections.abc import Mapping

from feedsvc.rates.sources.base import NoData, Observation, Source, SourceError
from feedsvc.rates.sources.currency_api import CurrencyApi
from feedsvc.rates.sources.peg import Peg

__all__ = ["NoData", "Observation", "Source", "SourceError", "all_source_classes", "build_sources"]

# One line per source; names are those of config.RATE_SOURCES.
SOURCE_CLASSES: dict[str, type[Source]] = {
    CurrencyApi.name: CurrencyApi,
    Peg.name: Peg,
}


def all_source_classes() -> dict[str, type[Source]]:
    """Every implemented source class by name (for listings such as /rates/sources.json)."""
    return dict(SOURCE_CLASSES)


def build_sources(config: Mapping) -> dict[str, Source]:
    """The enabled, implemented sources in priority order, with URLs from ``SOURCE_URLS``."""
    urls = config["SOURCE_URLS"]
    return {
        name: SOURCE_CLASSES[name](urls.get(name, ""), urls.get(f"{name}-fallback"))
        for name in config["RATES_SOURCES"]
        if name in SOURCE_CLASSES
    }
