"""Rate limits per client address (flask-limiter): writes, failed authentication, expensive rate queries.

Failed authentication is counted wherever a token is read (writes, reads that show scheduled articles,
/metrics): ``core.auth`` calls ``check_auth_failures`` before it checks a presented token and
``count_auth_failure`` when it refuses one.

Counted in Redis when FEEDSVC_CACHE_URL is set, so that every worker and node shares them, and in the
process otherwise. A client over a limit gets a 429 with ``Retry-After``. Feeds are never limited: feed
readers apply a 429 to every feed of the domain, and a 304 costs less than counting it.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter
from redis.exceptions import RedisError
from werkzeug.exceptions import TooManyRequests

from feedsvc.core.cache import REDIS_TIMEOUTS
from feedsvc.core.errors import handle_http_exception

WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"]
LIMITER = "feedsvc.limiter"
HOOKS = "feedsvc.limiter_hooks"
EXPENSIVE = "feedsvc.expensive_limits"
AUTH_FAILURES = "feedsvc.auth_failure_limits"


def init_app(app: Flask) -> Limiter:
    """A limiter of this app, whose hooks run on the limited blueprints only (see ``_hook``)."""
    lists = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    known = [list(hooks.get(None, [])) for hooks in lists]
    url = app.config.get("CACHE_URL")
    limiter = app.extensions[LIMITER] = Limiter(
        get_remote_address, app=app, storage_uri=url or "memory://",
        # A Redis that accepts and never answers costs a request at most this, then the in-memory fallback.
        storage_options=dict(REDIS_TIMEOUTS) if url else {},
        key_prefix=app.config.get("CACHE_KEY_PREFIX", "feedsvc:") + "limits",  # one Redis, many deployments
        # A limit store that is down must not take the service down with it.
        swallow_errors=True, in_memory_fallback_enabled=True,
    )
    # flask-limiter hooks every request of the app, which costs a feed's 304 a quarter of its time
    # (measured in-process: 940 µs against 750 µs). Its hooks are moved to the blueprints with limits.
    # Only writes are limited by these hooks, so they run for writes only: on a read of the API (most of
    # them cache hits) checking no limit cost as much as the rest of the answer.
    app.extensions[HOOKS] = []
    for hooks, before in zip(lists, known, strict=True):
        added = [_for_writes(hook) for hook in hooks.get(None, []) if hook not in before]
        app.extensions[HOOKS].append(added)
        hooks[None] = before
    app.register_error_handler(RateLimitExceeded, _too_many_requests)
    return limiter


def _for_writes(hook: Callable[..., Any]) -> Callable[..., Any]:
    """``hook`` run on write requests only; on others a before-hook does nothing, an after-hook passes the
    response through."""

    @functools.wraps(hook)
    def run(*args: Any) -> Any:
        if request.method in WRITE_METHODS:
            return hook(*args)
        return args[0] if args else None

    return run


def parse_limits(app: Flask) -> None:
    """Parse ``LIMIT_RATES`` and ``LIMIT_AUTH_FAILURES`` once (no limit when one is off)."""
    for name, key in (("LIMIT_RATES", EXPENSIVE), ("LIMIT_AUTH_FAILURES", AUTH_FAILURES)):
        value = app.config[name]
        app.extensions[key] = parse_many(value) if value else []


def _hook(app: Flask, blueprint: Blueprint) -> None:
    """Run the limiter's hooks on the requests of ``blueprint``."""
    lists = (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
    for hooks, added in zip(lists, app.extensions[HOOKS], strict=True):
        own = hooks.setdefault(blueprint.name, [])
        own.extend(hook for hook in added if hook not in own)


def limit_writes(app: Flask, *blueprints: Blueprint) -> None:
    """Limit writes per client across ``blueprints``."""
    limiter, config = app.extensions[LIMITER], app.config
    for blueprint in blueprints:
        _hook(app, blueprint)
        if config["LIMIT_WRITES"]:
            limiter.shared_limit(config["LIMIT_WRITES"], "writes", methods=WRITE_METHODS)(blueprint)


def spend_expensive() -> None:
    """Count one answer that runs a series query against the client's ``LIMIT_RATES``; 429 past it.

    The views call this just before they query: 304s, bad requests and answers from the byte cache
    cost no query, so they spend nothing — and skip the limiter's bookkeeping altogether.
    """
    for item in current_app.extensions[EXPENSIVE]:
        try:
            if _strategy().hit(item, "expensive", get_remote_address()):
                continue
        except RedisError:  # a limit store that is down must not take the service down with it
            return
        _refuse(item, "expensive")


def check_auth_failures() -> None:
    """429 when the client has used up its ``LIMIT_AUTH_FAILURES``: even a right token waits then."""
    for item in current_app.extensions[AUTH_FAILURES]:
        try:
            if _strategy().test(item, "auth-failures", get_remote_address()):
                continue
        except RedisError:
            return
        _refuse(item, "auth-failures")


def count_auth_failure() -> None:
    """Count one refused token of the client (guessing stops at the limit, see check_auth_failures)."""
    for item in current_app.extensions[AUTH_FAILURES]:
        try:
            _strategy().hit(item, "auth-failures", get_remote_address())
        except RedisError:
            return


def _strategy() -> RateLimiter:
    return current_app.extensions[LIMITER].limiter


def _refuse(item: RateLimitItem, scope: str) -> None:
    """Raise a 429 for ``item`` with a Retry-After of the time left in its window."""
    try:
        reset_at, _remaining = _strategy().get_window_stats(item, scope, get_remote_address())
    except RedisError:
        reset_at = time.time() + item.get_expiry()
    wait = min(max(1, math.ceil(reset_at - time.time())), item.get_expiry())
    message = f"too many requests: at most {item} per client; retry in {wait} s"
    raise TooManyRequests(message, retry_after=wait)


def _too_many_requests(exc: RateLimitExceeded) -> Response:
    """429 in the service's error shape, with ``Retry-After`` in whole seconds."""
    window = exc.limit.limit.get_expiry()
    current = current_app.extensions[LIMITER].current_limit
    wait = math.ceil(current.reset_at - time.time()) if current else window
    exc.retry_after = min(max(1, wait), window)
    exc.description = f"too many requests: at most {exc.limit.limit} per client; retry in {exc.retry_after} s"
    return handle_http_exception(exc)
