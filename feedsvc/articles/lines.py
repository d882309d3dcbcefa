"""NDJSON import lines: read in batches, parsed by the API's schema and cleaned, here or in worker processes.

Parsing and cleaning cost about 1 ms a line (marshmallow, nh3), many times the batched database writes,
so after its first batch an import spreads them over worker processes while this process writes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import UTC, datetime
from multiprocessing import get_context
from typing import IO, Any

from flask import Flask
from marshmallow import ValidationError

from config import CountryConfig
from feedsvc.articles.schemas import ArticleImportSchema
from feedsvc.articles.upsert import CountryRef, PreparedLine, prepare_line
from feedsvc.core.strict_json import loads_strict

# Output-only fields of an export: accepted on import and ignored (the id and url are ours).
IGNORED_ON_IMPORT = ("id", "url", "updated_at", "status")
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
AHEAD = 2  # batches prepared ahead of the one being written: enough to keep every worker busy

Batch = list[tuple[int, bytes]]


class Prepared:
    """A batch's lines: the valid ones prepared for writing, the reason for each bad one."""

    def __init__(self, batch: Batch, now: datetime) -> None:
        self.batch, self.now = batch, now
        self.lines: list[PreparedLine] = []
        self.errors: dict[int, str] = {}

    def add(self, lines: list[PreparedLine], errors: dict[int, str]) -> None:
        """Take in the result of one part of the batch."""
        self.lines.extend(lines)
        self.errors.update(errors)


def parse_line(raw: bytes, schema: ArticleImportSchema | None = None) -> dict[str, Any]:
    """One NDJSON line validated by the API's input schema (plus ``uuid``)."""
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # a BOM some editors write
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8") from None
    try:
        data = loads_strict(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object")
    for key in IGNORED_ON_IMPORT:
        data.pop(key, None)
    return (schema or ArticleImportSchema()).load(data)  # building a schema costs more than loading


def describe(error: ValidationError) -> str:
    """A one-line reason from a validation error."""
    messages = error.messages
    if isinstance(messages, dict):
        parts = []
        for field, value in messages.items():
            text = "; ".join(map(str, value)) if isinstance(value, list) else str(value)
            parts.append(f"{field}: {text}")
        reason = ", ".join(parts)
    else:
        reason = "; ".join(map(str, messages)) if isinstance(messages, list) else str(messages)
    return reason.encode("utf-8", "replace").decode("utf-8")  # lone surrogates can't be printed


def read_batches(source: IO[bytes], size: int) -> Iterator[Batch]:
    """The non-blank lines of ``source`` with their 1-based numbers, ``size`` at a time."""
    batch: Batch = []
    for number, raw in enumerate(source, start=1):
        if raw.strip():
            batch.append((number, raw))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class LinePreparer:
    """Parses and cleans lines against the stored countries."""

    def __init__(self, countries: Mapping[str, CountryRef]) -> None:
        self.schema = ArticleImportSchema()
        self.countries = countries

    def prepare(self, lines: Batch, now: datetime) -> tuple[list[PreparedLine], dict[int, str]]:
        """The valid lines prepared, and the reason for each bad one by line number."""
        prepared, errors = [], {}
        for number, raw in lines:
            try:
                prepared.append(prepare_line(number, raw, parse_line(raw, self.schema), self.countries, now))
            except ValidationError as exc:
                errors[number] = describe(exc)
        return prepared, errors


_worker: LinePreparer | None = None


def _start_worker(tracked: Sequence[CountryConfig], countries: Mapping[str, CountryRef], parent: int) -> None:
    _die_with(parent)
    app = Flask(__name__)  # the schema checks countries against the app's configured ones
    app.config["COUNTRIES"] = tuple(tracked)
    app.app_context().push()
    global _worker
    _worker = LinePreparer(countries)


def _prepare_in_worker(lines: Batch, now: datetime) -> tuple[list[PreparedLine], dict[int, str]]:
    assert _worker is not None
    return _worker.prepare(lines, now)


def _die_with(parent: int) -> None:
    """Have Linux kill this worker when the importing process dies, even by ``kill -9``: none is left."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # it died before the line above
        os._exit(0)


def prepared_batches(
    batches: Iterator[Batch], tracked: Sequence[CountryConfig], countries: Mapping[str, CountryRef],
    jobs: int,
) -> Iterator[Prepared]:
    """Each batch with its lines prepared, in order: the first here, the rest in ``jobs`` processes.

    A one-batch import never starts a worker; with ``jobs`` 1 none is ever started.
    """
    local = LinePreparer(countries)
    for batch in batches:
        yield _prepare_here(local, batch)
        if jobs > 1:
            break
    else:
        return
    # spawn, not fork: the workers share nothing with this process's threads, connections or locks.
    context = get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker,
                             initargs=(tuple(tracked), dict(countries), os.getpid())) as pool:
        pending: deque[tuple[Prepared, list[Future[Any]]]] = deque()
        for batch in batches:
            prepared = Prepared(batch, datetime.now(UTC))
            parts = [batch[start::jobs] for start in range(jobs)]
            futures = [pool.submit(_prepare_in_worker, part, prepared.now) for part in parts]
            pending.append((prepared, futures))
            if len(pending) > AHEAD:
                yield _collect(*pending.popleft())
        while pending:
            yield _collect(*pending.popleft())


def _prepare_here(preparer: LinePreparer, batch: Batch) -> Prepared:
    prepared = Prepared(batch, datetime.now(UTC))
    prepared.add(*preparer.prepare(batch, prepared.now))
    return prepared


def _collect(prepared: Prepared, futures: list[Future[Any]]) -> Prepared:
    for future in futures:
        prepared.add(*future.result())
    prepared.lines.sort(key=lambda line: line.number)  # the parts interleave; lines are written in order
    return prepared
