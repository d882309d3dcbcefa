"""The served X/USD values (``rate_served``) and any pair through USD from them.

Step 3 of served/pairs.py reads them for what no bank's table gives; the read side's X/USD series reads
them directly (read/series.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from operator import itemgetter

from sqlalchemy import ColumnElement, FromClause, and_, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RateObservation, RateServed
from feedsvc.rates.constants import USD
from feedsvc.rates.exact import ONE, quotient, shown_digits
from feedsvc.rates.pair import Pair

STREAM_ROWS = 500  # rows fetched per round trip of a streamed series; memory stays flat however long
Served = dict[str, tuple]  # currency -> (units per USD, source[, payload digest with provenance=1])


def served_values(provenance: bool) -> FromClause:
    """``rate_served`` (date, currency, source, units_per_usd), with each row's payload digest when
    ``provenance``."""
    served, obs = RateServed.__table__, RateObservation
    if not provenance:
        return served
    line = and_(obs.source == served.c.source, obs.date == served.c.date, obs.currency == USD,
                obs.quote == served.c.currency)
    return (select(served.c.date, served.c.currency, served.c.source, served.c.units_per_usd,
                   RateFetch.sha256.label("digest"))
            .select_from(served.outerjoin(obs, line).outerjoin(RateFetch, RateFetch.id == obs.fetch_id))
            .subquery("served"))


def served_rows(session: Session, rows: FromClause, currencies: tuple[str, ...],
                *where: ColumnElement[bool]) -> Iterator[tuple[date, Served]]:
    """Each date matching ``where`` with data, and its served values: one query, streamed in order."""
    digest = [rows.c.digest] if "digest" in rows.c else []
    stmt = (select(rows.c.date, rows.c.currency, rows.c.units_per_usd, rows.c.source, *digest)
            .where(rows.c.currency.in_(currencies), *where)
            .order_by(rows.c.date, rows.c.currency)
            .execution_options(yield_per=STREAM_ROWS))
    for day, group in itertools.groupby(session.execute(stmt), key=itemgetter(0)):
        yield day, {currency: tuple(rest) for _, currency, *rest in group}


def derive_rate(pair: Pair, served: Served) -> tuple[Decimal, int, str] | None:
    """The pair's rate, significant digits and source from one day's values, or None."""
    if USD in (pair.base, pair.quote):  # the inverse of a stored value, or the value itself
        found = served.get(pair.currencies[0])
        if found is None:
            return None
        value, source = found[0], found[1]
        digits = shown_digits(value)
        base, quote = (value, ONE) if pair.quote == USD else (ONE, value)
    else:  # a cross rate through USD
        base_found, quote_found = served.get(pair.base), served.get(pair.quote)
        if base_found is None or quote_found is None:
            return None
        (base, base_source), (quote, quote_source) = base_found[:2], quote_found[:2]
        digits = shown_digits(base, quote)
        source = base_source if base_source == quote_source else f"{base_source}+{quote_source}"
    return quotient(quote, base), digits, source


def derive_digest(pair: Pair, served: Served) -> str | None:
    """The digest of the payload(s) a row of ``pair`` came from ("+"-joined), or None if one is unknown."""
    digests = [served[currency][2] if len(served[currency]) > 2 else None for currency in pair.currencies]
    return None if None in digests else "+".join(dict.fromkeys(digests))
