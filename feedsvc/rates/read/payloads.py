"""Reading the payload archive: the bank's own document a day's table came from, and digests of rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, or_, select
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RateObservation, RatePayload
from feedsvc.rates.codec import content_digest, unpack
from feedsvc.rates.constants import USD


@dataclass(frozen=True)
class StoredPayload:
    """A payload as the source sent it, and how it was fetched."""

    body: bytes
    sha256: str  # hex
    media_type: str
    url: str
    status: int
    fetched_at: datetime

    @property
    def content_digest(self) -> str:
        """The ``Content-Digest`` header value of the bytes (RFC 9530): ``sha-256=:<base64>:``."""
        return content_digest(self.sha256)


def find_payload(session: Session, source: str, day: date) -> StoredPayload | None:
    """The payload ``source``'s table of ``day`` was stored from (its USD line's first), else the newest
    successful fetch of that day; None when none was kept."""
    obs = RateObservation
    fetch_id = session.scalar(
        select(obs.fetch_id).where(obs.source == source, obs.date == day, obs.fetch_id.is_not(None))
        .order_by(case((obs.currency == USD, 0), else_=1), obs.fetch_id.desc()).limit(1))
    fetch = session.get(RateFetch, fetch_id) if fetch_id is not None else session.scalars(
        select(RateFetch).where(RateFetch.source == source, RateFetch.status.between(200, 299),
                                or_(RateFetch.day == day,
                                    (RateFetch.day <= day) & (RateFetch.last_day >= day)))
        .order_by(RateFetch.fetched_at.desc(), RateFetch.id.desc()).limit(1)).first()
    if fetch is None:
        return None
    payload = session.get(RatePayload, fetch.sha256)
    assert payload is not None, "a fetch names a kept payload"
    return StoredPayload(unpack(payload.body), fetch.sha256, fetch.media_type, fetch.url, fetch.status,
                         fetch.fetched_at)
