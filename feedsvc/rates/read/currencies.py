"""What is stored, per currency code: its name, the sources whose tables carry it, their dates and nominals.

The spans of the stored lines (``rate_line_spans``, kept on write) answer both ``/rates/currencies.json`` and
each source's ``currencies`` in ``/rates/sources.json``; the service keeps it per rates revision.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import pycountry
from sqlalchemy import select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateLineSpan
from feedsvc.rates.read.params import Pair


@dataclass(frozen=True)
class StoredLine:
    """One kind of stored line: ``nominal`` ``currency`` = a value in ``quote``, in ``source``'s table."""

    source: str
    currency: str
    quote: str
    nominal: int
    first_date: date
    last_date: date
    days: int  # how many dates carry it


@dataclass(frozen=True)
class QuotedBy:
    """A source whose table gives other currencies' values in the code (a bank's own currency)."""

    source: str
    currencies: int
    first_date: date
    last_date: date


@dataclass(frozen=True)
class CurrencyListing:
    """One code: its ISO 4217 name, the sources publishing it, its own lines and the tables quoted in it."""

    code: str
    name: str | None
    sources: list[str]
    listed_by: list[StoredLine]
    quoted_by: list[QuotedBy]


def newest_common_date(lines: Iterable[StoredLine], pairs: Iterable[Pair],
                       sources: Iterable[str]) -> date | None:
    """The newest day on which both codes of one of ``pairs`` have a line of ``sources``: where a
    default range of those pairs ends (None: no pair has both)."""
    newest: dict[str, date] = {}
    wanted = set(sources)
    for line in (line for line in lines if line.source in wanted):
        for code in (line.currency, line.quote):
            newest[code] = max(newest.get(code, line.last_date), line.last_date)
    ends = [min(newest[pair.base], newest[pair.quote]) for pair in pairs
            if pair.base in newest and pair.quote in newest]
    return max(ends, default=None)


def select_stored_lines(session: Session) -> list[StoredLine]:
    """Every (source, currency, quote, nominal) stored, with its first and last date and its count."""
    span = RateLineSpan
    rows = session.execute(select(span.source, span.currency, span.quote, span.nominal, span.first_date,
                                  span.last_date, span.days))
    return [StoredLine(*row) for row in rows]


@functools.cache
def currency_name(code: str) -> str | None:
    """The ISO 4217 name of ``code`` (pycountry's table), or None for a code it does not list."""
    currency = pycountry.currencies.get(alpha_3=code)
    return None if currency is None else currency.name


def source_currencies(lines: Iterable[StoredLine], source: str) -> list[str]:
    """Every code in ``source``'s stored lines (its own currency too), sorted."""
    return sorted({code for line in lines if line.source == source for code in (line.currency, line.quote)})


def list_currencies(lines: Iterable[StoredLine], priority: list[str]) -> list[CurrencyListing]:
    """Each stored code, sorted; its sources in ``priority`` order (names not in it last, by name)."""
    rank = {name: index for index, name in enumerate(priority)}
    ordered = sorted(lines, key=lambda line: (rank.get(line.source, len(rank)), line.source, line.first_date,
                                              line.currency, line.quote, line.nominal))
    codes = sorted({code for line in ordered for code in (line.currency, line.quote)})
    return [_listing(code, ordered) for code in codes]


def _listing(code: str, ordered: list[StoredLine]) -> CurrencyListing:
    listed = [line for line in ordered if line.currency == code]
    quoted: dict[str, list[StoredLine]] = {}
    for line in ordered:
        if line.quote == code:
            quoted.setdefault(line.source, []).append(line)
    sources = list(dict.fromkeys(line.source for line in ordered if code in (line.currency, line.quote)))
    return CurrencyListing(code, currency_name(code), sources, listed, [
        QuotedBy(source, len({line.currency for line in own}), min(line.first_date for line in own),
                 max(line.last_date for line in own))
        for source, own in quoted.items()
    ])
