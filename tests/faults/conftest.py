"""Fixtures of the fault tests: TCP proxies in front of PostgreSQL and Redis, and real gunicorn nodes.

A proxy (proxy.py) passes, stalls or cuts connections on command; every proxy and every process a test
starts is stopped after it. Nodes run the shipped deploy/gunicorn.conf.py, each in its own process group,
killed whole (tests/ops/cluster.py). Helpers for the tests themselves are in netfaults.py.
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from netfaults import Node
from proxy import FaultProxy

sys.path.insert(0, str(Path(__file__).parents[1] / "ops"))  # the process helpers of the ops tests
from cluster import GUNICORN_CONF, free_port, kill_group, node_env, start_group, wait_for_port  # noqa: E402


@pytest.fixture
def proxy_to() -> Iterator[Callable[[tuple[str, int]], FaultProxy]]:
    """Start proxies to (host, port) targets; each is closed (its connections reset) after the test."""
    started: list[FaultProxy] = []

    def start(target: tuple[str, int]) -> FaultProxy:
        proxy = FaultProxy(target)
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.close()


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """Start gunicorn nodes with the shipped configuration: ``gunicorn(database_url, prefix, **env)``."""
    procs = []

    def start(database_url: str, prefix: str, workers: int = 2, **extra: str) -> Node:
        port = free_port()
        env = node_env(database_url, prefix, port, workers, extra)
        log = tmp_path / f"gunicorn-{port}.log"
        gunicorn_bin = str(Path(sys.executable).with_name("gunicorn"))
        proc = start_group([gunicorn_bin, "-c", str(GUNICORN_CONF), "wsgi:app"], env, log)
        procs.append(proc)
        wait_for_port(port, proc, log)
        return Node(port, log)

    try:
        yield start
    finally:
        for proc in procs:
            kill_group(proc)


@pytest.fixture
def run_prefix(redis_keys) -> str:
    """A Redis key prefix of this test's own, under the run's (its keys are dropped afterwards)."""
    return redis_keys(f"faults-{uuid.uuid4().hex[:8]}:")


