"""Real processes for the scale-out test and bench/load.py: gunicorn nodes and nginx with the shipped site.

Each process leads its own process group, killed whole (SIGKILL) by ``Cluster.stop``; ports are picked at
run time on 127.0.0.1. nginx runs ``deploy/nginx/feedsvc.conf`` with only the substitutions listed in
``SUBSTITUTIONS``, each of which must match exactly once, so the shipped file is what runs.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "feedsvc.conf"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
HOST = "feeds.example.org"  # the shipped site's server_name, kept as shipped
REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 40.0  # seconds for a node or nginx to answer on a busy 2-core machine


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    """Return once ``port`` accepts connections; fail if ``proc`` exits or the time runs out."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port} after {START_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process group ``proc`` leads and wait until none of its members is left."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    raise RuntimeError(f"process group {proc.pid} ({proc.args[0]}) survived SIGKILL")


def start_group(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` as the leader of a new process group, its output in ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


def node_env(database_url: str, prefix: str, port: int, workers: int,
             extra: dict[str, str]) -> dict[str, str]:
    """The environment of one gunicorn node: the shared database and Redis, behind one proxy."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("FEEDSVC_")}
    return {**env, "FEEDSVC_DATABASE_URL": database_url, "FEEDSVC_CACHE_URL": REDIS_URL,
            "FEEDSVC_CACHE_PREFIX": prefix, "FEEDSVC_TRUSTED_PROXIES": "1", "FEEDSVC_SCHEDULER": "off",
            "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(workers), **extra}


def drop_keys(prefix: str, url: str = REDIS_URL) -> None:
    """Delete the Redis keys a run left under its own prefix (byte cache, rate-limit counters)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        for key in client.scan_iter(match=f"{prefix}*", count=1000):
            client.delete(key)
    finally:
        client.close()


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for HOST (openssl), its chain and key paths."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={HOST}", "-addext", f"subjectAltName=DNS:{HOST}",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=60)
    return cert, key


def site_config(upstreams: list[int], http_port: int, https_port: int, directory: Path,
                cert: Path, key: Path) -> str:
    """The shipped site file with ports, node addresses, certificate and cache/log paths replaced."""
    servers = "\n    ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstreams)
    substitutions = {
        "listen 80 default_server;": f"listen 127.0.0.1:{http_port} default_server;",
        "listen 443 ssl http2 default_server;": f"listen 127.0.0.1:{https_port} ssl http2 default_server;",
        "server 127.0.0.1:8000 max_fails=1 fail_timeout=10s;": servers,
        "/var/cache/nginx/feedsvc": str(directory / "cache"),
        "/var/log/nginx/feedsvc.access.log": str(directory / "access.log"),
        "/etc/ssl/feedsvc/fullchain.pem": str(cert),
        "/etc/ssl/feedsvc/privkey.pem": str(key),
    }
    text = SITE.read_text()
    for old, new in substitutions.items():
        assert text.count(old) == 1, f"{SITE.name} should contain {old!r} once"
        text = text.replace(old, new)
    return text


def main_config(directory: Path, site: Path) -> str:
    """A minimal nginx.conf in the foreground, everything under ``directory``, including ``site``."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach a 0700 temporary directory
    temp = "\n".join(f"    {name}_temp_path {directory / name};"
                     for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 2;\npid {directory / 'nginx.pid'};\n"
            f"error_log {directory / 'error.log'} warn;\nevents {{ worker_connections 4096; }}\n"
            f"http {{\n    include /etc/nginx/mime.types;\n    access_log off;\n{temp}\n"
            f"    include {site};\n}}\n")


@dataclass
class Cluster:
    """Gunicorn nodes by name, and nginx in front of them (its plain and TLS ports)."""

    directory: Path
    nodes: dict[str, tuple[int, subprocess.Popen[bytes]]] = field(default_factory=dict)
    nginx: subprocess.Popen[bytes] | None = None
    http_port: int = 0
    https_port: int = 0
    cert: Path | None = None

    def start_node(self, name: str, env: dict[str, str], port: int) -> None:
        """Start one gunicorn node with the shipped gunicorn.conf.py."""
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        log = self.directory / f"node-{name}.log"
        proc = start_group([gunicorn, "-c", str(GUNICORN_CONF), "wsgi:app"], env, log)
        self.nodes[name] = (port, proc)
        wait_for_port(port, proc, log)

    def start_nginx(self) -> None:
        """Start nginx with the shipped site in front of every node started so far."""
        self.cert, key = make_certificate(self.directory)
        self.http_port, self.https_port = free_port(), free_port()
        site = self.directory / "feedsvc.conf"
        ports = [port for port, _ in self.nodes.values()]
        site.write_text(site_config(ports, self.http_port, self.https_port, self.directory, self.cert, key))
        conf = self.directory / "nginx.conf"
        conf.write_text(main_config(self.directory, site))
        log = self.directory / "nginx.log"
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = start_group([nginx, "-p", str(self.directory), "-c", str(conf),
                                  "-e", str(self.directory / "error.log")], dict(os.environ), log)
        wait_for_port(self.https_port, self.nginx, self.directory / "error.log")

    def kill_node(self, name: str) -> None:
        """SIGKILL one node's whole process group (master and workers)."""
        kill_group(self.nodes[name][1])

    def stop(self) -> None:
        """Kill nginx and every node, whatever state they are in."""
        procs = [proc for _, proc in self.nodes.values()] + ([self.nginx] if self.nginx else [])
        for proc in procs:
            kill_group(proc)


def tls_context(cert: Path) -> ssl.SSLContext:
    """A client context that trusts only the cluster's self-signed certificate."""
    return ssl.create_default_context(cafile=str(cert))


class LoopbackHTTPS(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1:port, with SNI and certificate checks for ``host``."""

    def __init__(self, host: str, port: int, context: ssl.SSLContext, timeout: float = 10) -> None:
        super().__init__(host, port, context=context, timeout=timeout)
        self.tls = context

    def connect(self) -> None:
        """Connect to loopback whatever ``host`` resolves to."""
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Answer:
    """A response read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes


def fetch(conn: http.client.HTTPConnection, method: str, path: str, headers: dict[str, str] | None = None,
          body: bytes | None = None) -> Answer:
    """One request on ``conn``, read whole; the connection is closed after it."""
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()
