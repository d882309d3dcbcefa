"""Which stored rows a query reads, and whether the materialised X/USD lines and sums serve it.

Decided here once per request; everything downstream follows the ``ReadPath`` it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from feedsvc.rates.constants import USD
from feedsvc.rates.read.params import Pair, RateQuery
from feedsvc.rates.served.pairs import home_currencies, official_sources, served_pair

__all__ = ["ReadPath", "choose_path", "home_currencies", "official_sources", "served_pair"]


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
    pair_lines: bool = False  # the long CSV of day rows is every pair's stored lines (rate_lines)

    @property
    def scope(self) -> str:
        """The scope of ``rate_lines`` a query on this path reads: its own source's, or '' (by priority)."""
        return self.own or ""

    @property
    def stored_lines(self) -> bool:
        """True when the long CSV of day rows is the stored lines, one column of one range scan."""
        return self.materialised and self.layout == "long" and self.group == "day"

    @property
    def stored_periods(self) -> bool:
        """True when period rows are summed from the stored quotients and month sums."""
        return self.materialised and self.group != "day"


Kept = Callable[[str, date, date], frozenset[Pair]]  # (scope, first, last) -> the pairs stored throughout


def choose_path(query: RateQuery, enabled: tuple[str, ...], kept: Kept | None = None) -> ReadPath:
    """The path of ``query`` with ``enabled`` sources in priority order; ``kept(scope, first, last)``: the
    pairs whose stored lines ``rate_lines`` hold in a scope over a range (asked only when they could
    serve the query)."""
    own = query.source or (enabled[0] if len(enabled) == 1 else None)
    served = all(map(served_pair, query.pairs))
    materialised = (own is None and not query.provenance and not query.fill and served
                    and all(pair.quote == USD for pair in query.pairs))
    # Pairs beyond the served X/USD lines: the general path's rows, stored on write (served/pair_lines.py).
    pair_lines = (not served and kept is not None and query.layout == "long" and query.group == "day"
                  and not query.provenance and not query.fill and query.at is None
                  and query.start is not None and query.end is not None
                  and set(query.pairs) <= kept(own or "", query.start, query.end))
    return ReadPath(own, materialised, query.layout, query.group, query.provenance, served, pair_lines)
