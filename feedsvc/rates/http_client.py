"""The HTTP session every rate source fetches with: retries with backoff, timeouts, our User-Agent."""

from __future__ import annotations

from collections.abc import Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

USER_AGENT = "feedsvc/0.1 (exchange-rate history updater; python-requests)"
RETRY_STATUSES = (429, 500, 502, 503, 504)


def make_http_session(config: Mapping) -> requests.Session:
    """A Session retrying connection errors, timeouts, 5xx and 429 with exponential backoff."""
    retry = Retry(
        total=config["HTTP_RETRIES"],
        backoff_factor=config["HTTP_BACKOFF"],
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        respect_retry_after_header=False,  # a long Retry-After would stall every other source
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers["User-Agent"] = USER_AGENT
    return session


def http_timeout(config: Mapping) -> tuple[float, float]:
    """The (connect, read) timeout pair from the configuration."""
    return (config["HTTP_CONNECT_TIMEOUT"], config["HTTP_READ_TIMEOUT"])
