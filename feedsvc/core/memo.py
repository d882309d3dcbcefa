"""Bounded per-process memos of answers that depend only on what a client sent (a query string)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
MEMO_MAX = 256  # answers kept per memo and process: any client can send new query strings
_LOCK = threading.Lock()


def memoised(name: str, version: Hashable, key: Hashable, make: Callable[[], T]) -> T:
    """``make()``'s answer for ``key``, kept in this app's memo ``name`` until ``version`` changes.

    Only answers are kept: an exception (a 400) passes through and is raised again next time.
    """
    with _LOCK:
        store = current_app.extensions.get(name)
        if store is None or store[0] != version:
            store = current_app.extensions[name] = (version, OrderedDict())
        known = store[1]
        if key in known:
            known.move_to_end(key)
            return known[key]  # type: ignore[return-value]
    value = make()  # outside the lock: a parse may raise, a resolve may query
    with _LOCK:
        known[key] = value
        if len(known) > MEMO_MAX:
            known.popitem(last=False)
    return value
