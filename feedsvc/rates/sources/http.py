"""The rate sources' HTTP session: feedsvc.core.fetch's budgeted session, named as the rate updater."""

from __future__ import annotations

from collections.abc import Mapping

from feedsvc.core.fetch import (
    BodyTooLarge,
    DeadlineExceeded,
    UpstreamSession,
    get_body,
    http_timeout,
)
from feedsvc.core.fetch import make_http_session as make_session

USER_AGENT = "feedsvc/0.1 (exchange-rate history updater; python-requests)"

__all__ = ["USER_AGENT", "BodyTooLarge", "DeadlineExceeded", "get_body", "http_timeout", "make_http_session"]


def make_http_session(config: Mapping, deadline: float | None = None) -> UpstreamSession:
    """The budgeted session of a rate job (see feedsvc.core.fetch), with the rate updater's User-Agent."""
    return make_session(config, deadline, USER_AGENT)
