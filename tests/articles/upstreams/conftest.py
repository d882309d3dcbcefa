"""Fixtures for the upstream tests: a replayed WordPress site served for real, and the upstream CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskCliRunner
from wordpress_replay import WordPressReplay


@pytest.fixture
def serve(serve_wsgi) -> Iterator[Callable[[Callable], str]]:
    """Serve any WSGI app on loopback for the test's length: ``origin = serve(app)``."""
    servers = []

    def start(app: Callable) -> str:
        server = serve_wsgi(app)
        servers.append(server)
        return next(server)

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def add_upstream(runner: FlaskCliRunner) -> Callable[..., None]:
    """``feedsvc upstreams add`` through the CLI, asserting it worked."""

    def add(name: str, url: str, *options: str) -> None:
        result = runner.invoke(args=["upstreams", "add", name, url, *options])
        assert result.exit_code == 0, result.output

    return add


@pytest.fixture
def wordpress(serve) -> Callable[[WordPressReplay], str]:
    """Serve a replayed WordPress site; its origin."""
    return serve
