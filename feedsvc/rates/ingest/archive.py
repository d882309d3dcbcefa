"""The payload archive: every answer a source fetched, kept compressed and content-addressed by SHA-256,
with its URL, HTTP status, media type and fetch time; the observations stored from it name the fetch.

``rate_payloads`` holds each distinct body once (codec.py); ``rate_fetches`` one row per source, day and
body: a file fetched again unchanged (an update runs several times a day) adds nothing, a changed file
adds a fetch. The jobs archive an answer and commit before parsing it, so an answer that turns out
unusable is kept too, as evidence of what the source sent. A 404 is not kept: the day's "no data" in
``rate_source_days`` records it.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RatePayload
from feedsvc.rates.codec import pack, sha256_hex
from feedsvc.rates.sources.http import Answer


def keep_answer(session: Session, source: str, day: date, answer: Answer, now: datetime,
                last_day: date | None = None) -> int:
    """Archive ``answer`` as ``source``'s fetch of ``day`` (to ``last_day`` for a range); its fetch id.

    Not committed: the caller commits.
    """
    digest = sha256_hex(answer)
    if session.get(RatePayload, digest) is None:
        try:
            with session.begin_nested():  # another source may have sent the same bytes meanwhile
                session.add(RatePayload(sha256=digest, size=len(answer), body=pack(bytes(answer))))
        except IntegrityError:
            pass
    fetch = session.scalars(select(RateFetch).where(
        RateFetch.source == source, RateFetch.day == day, RateFetch.sha256 == digest)).first()
    if fetch is None:
        fetch = RateFetch(source=source, day=day, last_day=last_day, url=answer.url[:2048],
                          status=answer.status, media_type=answer.media_type[:200], fetched_at=now,
                          sha256=digest)
        session.add(fetch)
        session.flush()
    return fetch.id
