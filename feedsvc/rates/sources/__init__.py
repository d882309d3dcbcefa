"""The registry of rate sources: name → class, and the enabled sources built from the config."""

from __future__ import annotations

from collections.abc import Mapping

from feedsvc.rates.sources.base import NoData, Observation, Source, SourceError
from feedsvc.rates.sources.cbt import CBT
from feedsvc.rates.sources.cbu import CBU
from feedsvc.rates.sources.currency_api import CurrencyApi
from feedsvc.rates.sources.nbk import NBK
from feedsvc.rates.sources.nbkr import NBKR
from feedsvc.rates.sources.nbt import NBT
from feedsvc.rates.sources.peg import Peg

__all__ = ["NoData", "Observation", "Source", "SourceError", "all_source_classes", "build_sources"]

# One line per source; names are those of config.RATE_SOURCES.
SOURCE_CLASSES: dict[str, type[Source]] = {
    NBK.name: NBK,
    NBKR.name: NBKR,
    NBT.name: NBT,
    CBU.name: CBU,
    CBT.name: CBT,
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
        name: _build_source(SOURCE_CLASSES[name], urls)
        for name in config["RATES_SOURCES"]
        if name in SOURCE_CLASSES
    }


def _build_source(cls: type[Source], urls: Mapping[str, str]) -> Source:
    if cls is NBKR:  # daily.xml serves today only; past days come from its history page's own template
        return NBKR(urls.get(cls.name, ""), history_template=urls.get("nbkr-history"))
    return cls(urls.get(cls.name, ""), urls.get(f"{cls.name}-fallback"))
