"""The pairs a site of the region commonly shows, offered by the embed builder and the /rates page."""

from __future__ import annotations

from collections.abc import Iterable

from feedsvc.rates.constants import USD
from feedsvc.rates.read.params import Pair

# What the region's news sites show in their mastheads (USD, EUR, RUB), and its largest trading partner's.
COMMON_FOREIGN = (USD, "EUR", "RUB", "CNY")


def common_pairs(local: str | None, tracked: Iterable[str], foreign_first: bool = True) -> tuple[Pair, ...]:
    """The common pairs of ``local`` (USD/KGS, EUR/KGS, RUB/KGS, CNY/KGS), or, for None, every tracked
    currency against USD (USD/KZT, USD/KGS, ...).

    ``foreign_first``: 1 foreign unit in local money (``USD/KZT = 441.23``, as locals read it); else
    1 local unit in foreign money (``KZT/USD = 0.00226637``, the default ticker's way).
    """
    if local is None:
        pairs = [Pair(USD, code) for code in tracked if code != USD]
    else:
        pairs = [Pair(code, local) for code in COMMON_FOREIGN if code != local]
    return tuple(pair if foreign_first else Pair(pair.quote, pair.base) for pair in pairs)
