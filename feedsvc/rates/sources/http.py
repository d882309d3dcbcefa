"""The rate sources' HTTP session: feedsvc.core.fetch's budgeted session, named as the rate updater, and
its answers as bytes that carry their URL, status and media type (the payload archive keeps them)."""

from __future__ import annotations

from collections.abc import Mapping

import requests

from feedsvc.core.fetch import (
    BodyTooLarge,
    DeadlineExceeded,
    UpstreamSession,
    fetch,
    http_timeout,
)
from feedsvc.core.fetch import make_http_session as make_session

USER_AGENT = "feedsvc/0.1 (exchange-rate history updater; python-requests)"

__all__ = ["USER_AGENT", "Answer", "BodyTooLarge", "DeadlineExceeded", "get_body", "http_timeout",
           "make_http_session"]


class Answer(bytes):
    """An upstream's body, as bytes, with what came with it: the URL answered, HTTP status, media type."""

    url: str
    status: int
    media_type: str

    def __new__(cls, body: bytes, url: str = "", status: int = 200, media_type: str = "") -> Answer:
        """``body`` as bytes, carrying its URL, status and media type."""
        answer = super().__new__(cls, body)
        answer.url, answer.status, answer.media_type = url, status, media_type
        return answer


def make_http_session(config: Mapping, deadline: float | None = None) -> UpstreamSession:
    """The budgeted session of a rate job (see feedsvc.core.fetch), with the rate updater's User-Agent."""
    return make_session(config, deadline, USER_AGENT)


def get_body(http: requests.Session, url: str, timeout: tuple[float, float],
             headers: Mapping[str, str] | None = None) -> Answer:
    """GET ``url`` within the session's budget; HTTPError for a 4xx or a last 5xx (see core.fetch.fetch)."""
    got = fetch(http, url, timeout, headers)
    return Answer(got.body, got.url, got.status, got.headers.get("Content-Type", ""))
