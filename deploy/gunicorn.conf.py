"""gunicorn settings for feedsvc behind nginx on one host: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Overrides from the environment: ``GUNICORN_BIND`` (default 127.0.0.1:8000), ``WEB_CONCURRENCY`` (workers),
``GUNICORN_THREADS`` (threads per worker, default 4), ``FORWARDED_ALLOW_IPS`` (default 127.0.0.1); any
other setting through ``GUNICORN_CMD_ARGS`` or the command line, which gunicorn applies after this file.
"""

import os

MAX_WORKERS = 12  # past this, PostgreSQL connections (a pool per worker) cost more than workers gain


def default_workers() -> int:
    """2 x the cores this process may use + 1, capped: a worker's threads share one interpreter lock."""
    return min(2 * len(os.sched_getaffinity(0)) + 1, MAX_WORKERS)


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
# Threaded workers: a request waiting on a hung database or Redis holds one thread, not the worker, so
# /healthz and the answers from cached bytes keep coming from the other threads. (With sync workers, two
# requests stuck for a few seconds leave nobody to answer a load balancer's check.) nginx buffers
# requests and responses, so a slow client holds no thread either.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 4)
# A worker whose main loop is silent this long is killed and replaced. A thread stuck on a request is
# not seen by it: the app bounds every connection itself (docs/operations.md, "Outages").
timeout = 30
graceful_timeout = 30  # on SIGTERM or a reload, requests in flight get this long to finish
keepalive = 5  # seconds; more than nginx's upstream keepalive_timeout, so nginx closes first
# nginx on this host sets X-Forwarded-*; the app applies them itself (FEEDSVC_TRUSTED_PROXIES=1).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs go to stdout/stderr (journald under systemd). The access line ends with the request time in ms
# and the client's address as nginx saw it; no header that could carry a token is logged.
accesslog = "-"
errorlog = "-"
loglevel = "info"
access_log_format = '%(h)s "%({x-forwarded-for}i)s" %(t)s "%(r)s" %(s)s %(b)s "%(a)s" %(M)sms'


def child_exit(server: object, worker: object) -> None:
    """A worker has exited: prometheus_client forgets its live gauges (its counters stay summed)."""
    from feedsvc.core.metrics import child_exit as forget_worker  # imported late: the arbiter needs no app

    forget_worker(server, worker)
