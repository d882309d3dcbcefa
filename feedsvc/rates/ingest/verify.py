"""``feedsvc rates verify``: every kept payload parsed again with today's parser, against what is stored.

A stored value that differs from what its payload says now (a hand edit, a parser since fixed or broken,
a bit flipped on disk) is listed. Values stored before payloads were kept name none and are counted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RateObservation, RatePayload
from feedsvc.rates.codec import unpack
from feedsvc.rates.sources import NoData, Source, SourceError

Key = tuple[date, str, str]  # (date, currency, quote)


@dataclass(frozen=True)
class Difference:
    """A stored value its payload does not say (``parsed`` None: the payload no longer gives the line)."""

    source: str
    key: Key
    stored: tuple[Decimal, int]
    parsed: tuple[Decimal, int] | None
    sha256: str
    why: str = ""

    def describe(self) -> str:
        """One line for the operator."""
        day, currency, quote = self.key
        stored = f"{self.stored[0]:f} per {self.stored[1]}"
        says = "nothing" if self.parsed is None else f"{self.parsed[0]:f} per {self.parsed[1]}"
        why = f" ({self.why})" if self.why else ""
        return (f"{self.source} {day} {currency}/{quote}: stored {stored}, its payload says {says}{why} "
                f"[sha256 {self.sha256[:16]}]")


def fetches_to_verify(session: Session, source: str | None, first: date | None, last: date | None
                      ) -> list[RateFetch]:
    """The fetches that stored observations, of ``source`` (None: every source), dated within the range."""
    named = select(RateObservation.fetch_id).where(RateObservation.fetch_id.is_not(None)).distinct()
    stmt = select(RateFetch).where(RateFetch.id.in_(named)).order_by(RateFetch.source, RateFetch.day)
    if source is not None:
        stmt = stmt.where(RateFetch.source == source)
    if first is not None:
        stmt = stmt.where(func.coalesce(RateFetch.last_day, RateFetch.day) >= first)
    if last is not None:
        stmt = stmt.where(RateFetch.day <= last)
    return list(session.scalars(stmt))


def unarchived_count(session: Session, source: str | None) -> int:
    """How many stored values name no payload (stored before payloads were kept)."""
    stmt = select(func.count()).select_from(RateObservation).where(RateObservation.fetch_id.is_(None))
    return session.scalar(stmt if source is None else stmt.where(RateObservation.source == source)) or 0


def verify_fetch(session: Session, fetch: RateFetch, parser: Source) -> Iterator[Difference]:
    """The stored values of ``fetch`` that its payload, parsed today, does not say."""
    obs = RateObservation
    stored = {(day, currency, quote): (value, nominal) for day, currency, quote, value, nominal in
              session.execute(select(obs.date, obs.currency, obs.quote, obs.value, obs.nominal)
                              .where(obs.fetch_id == fetch.id))}
    payload = session.get(RatePayload, fetch.sha256)
    assert payload is not None, "a fetch names a kept payload"
    parsed, why = _parse(parser, unpack(payload.body), fetch, {currency for _d, currency, _q in stored})
    for key, value in sorted(stored.items()):
        if parsed.get(key) != value:
            yield Difference(fetch.source, key, value, parsed.get(key), fetch.sha256, why)


def _parse(parser: Source, body: bytes, fetch: RateFetch, currencies: set[str]
           ) -> tuple[dict[Key, tuple[Decimal, int]], str]:
    """Every line the payload gives today, by key; and why none, if the parser refuses it."""
    try:
        if fetch.last_day is None:
            tables = [parser.parse(body, fetch.day)]
        else:  # a history page is one currency's: the one its stored values are of
            tables = [parser.parse_range(body, currency) for currency in sorted(currencies)]
    except (NoData, SourceError) as exc:
        return {}, f"today's parser refuses the payload: {exc}"
    return {(o.date, o.currency, o.quote): (o.value, o.nominal) for t in tables for o in t.observations}, ""
