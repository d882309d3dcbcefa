"""The shared Redis of the test run: every key a test writes lives under this run's prefix.

The machine's Redis is shared by every test run (and every engineer's). Each pytest process picks one
prefix, ``RUN_PREFIX``; apps built by the fixtures and gunicorn nodes started by tests use prefixes
under it, and a session fixture (tests/conftest.py) fails the run when any key is left under it.
"""

from __future__ import annotations

import uuid

import redis

REDIS_URL = "redis://127.0.0.1:6379/0"  # the machine's Redis, shared: tests use key prefixes of their own
RUN_PREFIX = f"feedsvc-test-{uuid.uuid4().hex[:12]}:"


def prefix_of(name: str) -> str:
    """A key prefix under the run's: ``<RUN_PREFIX><name>`` (``name`` should end with ``:``)."""
    return RUN_PREFIX + name


def count_keys(prefix: str = RUN_PREFIX) -> int:
    """How many keys of the shared Redis start with ``prefix``."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        return sum(1 for _ in client.scan_iter(match=f"{prefix}*", count=1000))
    finally:
        client.close()


def drop_keys(prefix: str) -> None:
    """Delete every key of the shared Redis that starts with ``prefix``."""
    assert prefix.startswith(RUN_PREFIX), "tests only ever delete keys of their own run"
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=5)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()
