"""deploy/redis/feedsvc.conf bounds Redis: a real redis-server started with it reports the limits."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import redis
from cluster import ROOT, free_port, kill_group, start_group, wait_for_port

CONF = ROOT / "deploy" / "redis" / "feedsvc.conf"


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server")
def test_the_shipped_redis_snippet_sets_maxmemory_and_an_eviction_policy(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "redis.log"
    proc: subprocess.Popen[bytes] = start_group(
        ["redis-server", str(CONF), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
         "--save", ""], {}, log)
    try:
        wait_for_port(port, proc, log)
        client = redis.Redis(port=port, socket_timeout=5)
        assert client.config_get("maxmemory") == {"maxmemory": str(256 * 1024 * 1024)}
        assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
        client.close()
    finally:
        kill_group(proc)
