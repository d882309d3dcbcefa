"""Prometheus metrics at /metrics: requests, latency, byte-cache lookups; rates and upstreams read on scrape.

Under gunicorn, with ``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its samples to files there and a
scrape sums them over every worker (gunicorn.conf.py calls ``child_exit`` when a worker ends). Otherwise
the samples live in the process. /metrics answers a valid API token or an address in
``FEEDSVC_METRICS_ALLOW``, and is a plain 404 for anyone else: it is not advertised.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, request
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import NotFound

from feedsvc.core.db import get_session

log = logging.getLogger(__name__)
EXTENSION = "feedsvc.core.metrics"
STARTED = "feedsvc.started"  # environ key: when the request reached the app (time.perf_counter)
# Most answers take milliseconds (304s, cached bytes); long rate series and sitemaps take seconds.
BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
RatesFigures = Callable[[Session, Mapping[str, Any]], Any]  # feedsvc.rates.monitor.rates_snapshot
# feedsvc.articles.upstreams.runs.upstreams_snapshot: one figure per upstream (name, kind, up, ...).
UpstreamFigures = Callable[[Session, Mapping[str, Any]], Any]


class Instruments:
    """The counters and histograms one process updates on every request."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        self.requests = Counter("feedsvc_http_requests", "HTTP answers by endpoint and status (304s too)",
                                ["endpoint", "status"], registry=registry)
        self.latency = Histogram("feedsvc_http_request_duration_seconds",
                                 "Time until the answer's headers, by endpoint", ["endpoint"],
                                 buckets=BUCKETS, registry=registry)
        lookups = Counter("feedsvc_byte_cache_lookups", "Byte-cache lookups by result (hit or miss)",
                          ["result"], registry=registry)
        self.hit, self.miss = lookups.labels("hit"), lookups.labels("miss")
        # labels() checks and locks on every call; the children of a few dozen endpoints are kept here.
        self.children: dict[tuple[str, int], tuple[Any, Any]] = {}

    def observe(self, endpoint: str, status: int, seconds: float | None) -> None:
        """Count one answer of ``endpoint`` and, when known, how long it took."""
        children = self.children.get((endpoint, status))
        if children is None:
            children = self.requests.labels(endpoint, str(status)), self.latency.labels(endpoint)
            self.children[(endpoint, status)] = children
        children[0].inc()
        if seconds is not None:
            children[1].observe(seconds)


class RatesCollector:
    """Gauges and counts of the rates, read from the database when scraped."""

    def __init__(self, figures: RatesFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        """The rates' metric families, from one snapshot; only ``feedsvc_rate_figures_ok 0`` without one."""
        ok = GaugeMetricFamily("feedsvc_rate_figures_ok", "1 when the rates were read from the database")
        try:
            snapshot = self.figures(get_session(), current_app.config)
        except SQLAlchemyError as exc:
            # A database outage must not hide the request metrics, which are what shows it.
            log.warning("metrics: the rates' figures could not be read: %s", type(exc).__name__)
            ok.add_metric([], 0)
            yield ok
            return
        ok.add_metric([], 1)
        yield ok
        yield from self._families(snapshot)

    @staticmethod
    def _families(snapshot: Any) -> Iterator[Metric]:
        now = datetime.now(UTC)
        age = GaugeMetricFamily("feedsvc_rate_last_observation_age_seconds",
                                "Seconds since the start (UTC) of the newest observed day; +Inf: none yet",
                                labels=["source"])
        stale = GaugeMetricFamily("feedsvc_rate_source_stale",
                                  "1 when a source missed too many of its publishing days", labels=["source"])
        for name, health in snapshot.sources.items():
            newest = health.newest
            midnight = datetime(newest.year, newest.month, newest.day, tzinfo=UTC) if newest else None
            age.add_metric([name], (now - midnight).total_seconds() if midnight else math.inf)
            stale.add_metric([name], float(health.stale))
        runs = CounterMetricFamily("feedsvc_rate_runs", "Rate job runs recorded, by source and outcome",
                                   labels=["source", "outcome"])
        for (name, outcome), count in sorted(snapshot.runs.items()):
            runs.add_metric([name, outcome], count)
        waiting = GaugeMetricFamily("feedsvc_rate_values_waiting",
                                    "Values the guards refused or held back that are not served",
                                    labels=["source", "status"])
        for (name, status), count in sorted(snapshot.waiting.items()):
            waiting.add_metric([name, status], count)
        yield from (age, stale, runs, waiting)


class UpstreamsCollector:
    """Each article upstream's last sync, successes, articles and runs, read from the database on scrape."""

    def __init__(self, figures: UpstreamFigures) -> None:
        self.figures = figures

    def collect(self) -> Iterator[Metric]:
        """The upstreams' metric families; nothing when the database fails (the rates' gauge says so)."""
        try:
            upstreams = self.figures(get_session(), current_app.config)
        except SQLAlchemyError as exc:
            log.warning("metrics: the upstreams' figures could not be read: %s", type(exc).__name__)
            return
        labels = ["upstream", "kind"]
        up = GaugeMetricFamily("feedsvc_upstream_up", "1 when the newest sync of the upstream did not fail",
                               labels=labels)
        last_run = GaugeMetricFamily("feedsvc_upstream_last_run_timestamp_seconds",
                                     "When the newest sync started (Unix time)", labels=labels)
        success = GaugeMetricFamily("feedsvc_upstream_last_success_timestamp_seconds",
                                    "When the newest sync that did not fail started; 0: none", labels=labels)
        articles = GaugeMetricFamily("feedsvc_upstream_articles", "Articles kept from the upstream",
                                     labels=labels)
        pushed = GaugeMetricFamily("feedsvc_upstream_pushed", "1 while a WebSub hub pushes the feed",
                                   labels=labels)
        runs = CounterMetricFamily("feedsvc_upstream_runs", "Upstream syncs recorded, by outcome",
                                   labels=[*labels, "outcome"])
        posts = GaugeMetricFamily("feedsvc_upstream_last_run_posts", "What the newest sync did with posts",
                                  labels=[*labels, "result"])
        for figure in upstreams:
            key = [figure.name, figure.kind]
            if figure.up is not None:
                up.add_metric(key, float(figure.up))
                last_run.add_metric(key, figure.last_run.timestamp())
            success.add_metric(key, figure.last_success.timestamp() if figure.last_success else 0.0)
            articles.add_metric(key, figure.articles)
            pushed.add_metric(key, float(figure.pushed))
            for outcome, count in sorted(figure.runs.items()):
                runs.add_metric([*key, outcome], count)
            for result, count in figure.last_counts.items():
                posts.add_metric([*key, result], count)
        yield from (up, last_run, success, articles, pushed, runs, posts)


def start_timer() -> None:
    """Note when the request reached the app (the first before-request hook)."""
    request.environ[STARTED] = time.perf_counter()


def observe(response: Response) -> Response:
    """Count the answer and its latency under its endpoint (``unmatched`` when no route matched)."""
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    started = request.environ.get(STARTED)
    seconds = time.perf_counter() - started if started is not None else None
    current_app.extensions[EXTENSION].observe(endpoint, response.status_code, seconds)
    return response


def count_cache_lookup(hit: bool) -> None:
    """Count one byte-cache lookup (a no-op outside an app with metrics)."""
    instruments = current_app.extensions.get(EXTENSION)
    if instruments is not None:
        (instruments.hit if hit else instruments.miss).inc()


def may_scrape() -> bool:
    """True for an address in FEEDSVC_METRICS_ALLOW or a valid API token."""
    allowed = current_app.config.get("METRICS_ALLOW") or ()
    address = request.remote_addr
    if allowed and address:
        client = ipaddress.ip_address(address)  # hosts.py refused a REMOTE_ADDR that is not an address
        if any(client in network for network in allowed):
            return True
    # Imported here: auth limits refused tokens through the rate limiter, whose 429s use the error
    # answers, which use the byte cache, which counts its lookups in this module.
    from feedsvc.core.auth import has_valid_token

    return has_valid_token()


def show_metrics() -> Response:
    """GET /metrics: the Prometheus text format, or a 404 for a client that may not read it."""
    if not may_scrape():
        # Word for word the 404 of /<country> for an unknown name, so nothing tells this path apart.
        raise NotFound("no page 'metrics'")
    registry = current_app.extensions[EXTENSION + ".registry"]
    if current_app.config.get("METRICS_MULTIPROC_DIR"):
        registry = CollectorRegistry()  # the workers' files, summed, and the rates from the database
        MultiProcessCollector(registry, path=current_app.config["METRICS_MULTIPROC_DIR"])
        registry.register(current_app.extensions[EXTENSION + ".rates"])
        registry.register(current_app.extensions[EXTENSION + ".upstreams"])
    # The text format 0.0.4 every Prometheus reads, or OpenMetrics for a scraper that asks for it.
    encode, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encode(registry), content_type=content_type,
                    headers={"Cache-Control": "no-store", "Vary": "Accept"})


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: forget a dead worker's live gauges (its counters stay summed)."""
    # Runs in gunicorn's arbiter, where there is no app and no config: the variable is prometheus_client's.
    path = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if path:  # without it gunicorn serves single-process metrics per worker, and there is nothing to do
        mark_process_dead(worker.pid, path)


def init_app(app: Flask, rates_figures: RatesFigures, upstream_figures: UpstreamFigures) -> None:
    """Count every request, and serve /metrics; the figures callables read the domains at scrape time."""
    multiprocess = bool(app.config.get("METRICS_MULTIPROC_DIR"))
    # In multiprocess mode samples go to files, not to a registry; a scrape reads the files.
    registry = None if multiprocess else CollectorRegistry()
    app.extensions[EXTENSION] = Instruments(registry)
    app.extensions[EXTENSION + ".rates"] = collector = RatesCollector(rates_figures)
    app.extensions[EXTENSION + ".upstreams"] = upstreams = UpstreamsCollector(upstream_figures)
    if registry is not None:
        registry.register(collector)
        registry.register(upstreams)
    app.extensions[EXTENSION + ".registry"] = registry
    app.before_request_funcs.setdefault(None, []).insert(0, start_timer)
    app.after_request(observe)
    app.add_url_rule("/metrics", "metrics", show_metrics)
