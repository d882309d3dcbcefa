"""A Redis that accepts and never answers (a stalling proxy in front of the real one).

The byte cache and the rate limiter both go without it after their short timeouts: feeds, rate
downloads and writes answer in time, limits fall back to each process's own counters.
"""

from __future__ import annotations

import logging
import time

from netfaults import ANSWER_WITHIN, REDIS, assert_no_traceback, via_proxy
from redis_keys import REDIS_URL

ARTICLE = {"title": "Written while Redis hangs", "countries": ["kazakhstan"]}
READS = ["/feeds/kazakhstan.rss", "/feeds/all.json", "/rates/latest.json",
         "/rates.csv?pairs=KZT/USD&from=2025-01-01&to=2025-01-31", "/api/articles", "/kazakhstan"]


def test_a_hung_redis_costs_each_request_little(app_factory, proxy_to, redis_prefix, auth_headers,
                                                caplog) -> None:
    proxy = proxy_to(REDIS)
    app = app_factory(CACHE_URL=via_proxy(REDIS_URL, proxy), CACHE_KEY_PREFIX=redis_prefix,
                      LIMIT_WRITES="5/minute")
    client = app.test_client()
    assert client.post("/api/articles", json=ARTICLE, headers=auth_headers).status_code == 201
    before = {path: client.get(path).get_data() for path in READS}
    caplog.set_level(logging.INFO)

    proxy.set_mode("stall")
    started = time.monotonic()
    for path in READS:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.get_data() == before[path] or path == "/kazakhstan"
    statuses = [client.post("/api/articles", json=ARTICLE, headers=auth_headers).status_code
                for _ in range(6)]
    spent = time.monotonic() - started
    # The limit still holds, counted in the process while its store hangs (one write was made before).
    assert statuses == [201] * 4 + [429] * 2 or statuses == [201] * 5 + [429], statuses
    assert spent < ANSWER_WITHIN, f"{len(READS) + 6} requests took {spent:.1f} s"
    assert_no_traceback(caplog.text)
    assert not [r for r in caplog.records if r.exc_info]

    proxy.set_mode("pass")
