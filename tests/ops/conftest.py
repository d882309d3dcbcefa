"""Fixtures of the operations tests: the processes a test starts, all killed after it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from scheduler_procs import Processes


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Start feedsvc commands in their own process groups; every group is killed after the test."""
    started = Processes(tmp_path)
    try:
        yield started
    finally:
        started.kill_all()
