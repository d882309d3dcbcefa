"""Which stored rows a query reads, and whether the materialised X/USD lines and sums serve it.

Decided here once per request; everything downstream follows the ``ReadPath`` it is given.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from feedsvc.rates.constants import USD
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.sources import all_source_classes


@dataclass(frozen=True)
class ReadPath:
    """Where a query's rows come from.

    ``own``: the one source whose own observations are read (``source=NAME``, or a single enabled source);
    None: ``rate_served``, the first source by priority. ``materialised``: every pair is X/USD over
    ``rate_served``, so the stored CSV lines (long day rows) and month sums (periods) answer it.
    """

    own: str | None
    materialised: bool
    layout: str = "long"
    group: str = "day"
    provenance: bool = False  # rows carry their payload's digest (never the stored lines)
    served: bool = True  # every pair is a bank's own currency against USD: the served X/USD lines answer

    @property
    def stored_lines(self) -> bool:
        """True when the long CSV of day rows is the stored lines, one column of one range scan."""
        return self.materialised and self.layout == "long" and self.group == "day"

    @property
    def stored_periods(self) -> bool:
        """True when period rows are summed from the stored quotients and month sums."""
        return self.materialised and self.group != "day"


@functools.cache
def home_currencies() -> frozenset[str]:
    """The banks' own currencies (KZT, KGS, TJS, UZS, TMT): the quote of every official source."""
    return frozenset(cls.quote for cls in all_source_classes().values() if cls.quote)


@functools.cache
def official_sources() -> frozenset[str]:
    """The sources that publish a table in their own currency (every one but currency-api)."""
    return frozenset(name for name, cls in all_source_classes().items() if cls.quote)


def served_pair(pair: Pair) -> bool:
    """True for a bank's own currency against USD, either way round: a line of ``rate_served``."""
    other = pair.quote if pair.base == USD else pair.base if pair.quote == USD else None
    return other in home_currencies()


def choose_path(query: RateQuery, enabled: tuple[str, ...]) -> ReadPath:
    """The path of ``query`` with ``enabled`` sources in priority order."""
    own = query.source or (enabled[0] if len(enabled) == 1 else None)
    served = all(map(served_pair, query.pairs))
    materialised = (own is None and not query.provenance and not query.fill and served
                    and all(pair.quote == USD for pair in query.pairs))
    return ReadPath(own, materialised, query.layout, query.group, query.provenance, served)
