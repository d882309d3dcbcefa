"""Schemathesis against the live /api/openapi.json on both databases: every operation, then stateful chains.

Checks: no 5xx, documented status codes, content types and response schemas, spec-invalid requests
refused, and every error in our one shape. Derandomized and small for CI; ``FEEDSVC_FUZZ=long`` runs
20 times as many examples.

Writes, all with one token: about 300 write requests per database by default (some 70 articles
created, 20 edited, 20 deleted), 20 times that with ``FEEDSVC_FUZZ=long``. A rate limit on API writes
must be off for these tests, or its 429 documented.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import hypothesis
import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given
from schemathesis import Case, CheckContext, GenerationMode, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import text

from feedsvc.core.models import (
    Article,
    ArticleCount,
    DeletedArticle,
    Tag,
    UpstreamItem,
    article_countries,
    article_tags,
)

SCALE = 20 if os.environ.get("FEEDSVC_FUZZ") == "long" else 1
EXAMPLES_PER_OPERATION = 50 * SCALE  # per generation mode
STATEFUL_SCENARIOS = 25 * SCALE
STATEFUL_STEPS = 10
pytestmark = pytest.mark.timeout(300 * SCALE)  # pyproject's 300 s per test, scaled with the examples


def error_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every error answer is ``{"error": {"status", "message", "fields"?}}`` in JSON."""
    if response.status_code < 400:
        return None
    assert response.headers.get("content-type", [""])[0].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and set(body) == {"error"}, body
    error = body["error"]
    assert set(error) <= {"status", "message", "fields"} and error["status"] == response.status_code, error
    assert isinstance(error["message"], str) and error["message"], error
    fields = error.get("fields", {})
    assert isinstance(fields, dict), error
    assert all(isinstance(m, list) and all(isinstance(s, str) for s in m) for m in fields.values()), error
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, negative_data_rejection, error_shape]


def fuzz_settings(examples: int, **kwargs: Any) -> hypothesis.settings:
    """Deterministic, bounded Hypothesis settings (no example database, no deadline)."""
    return hypothesis.settings(
        max_examples=examples, derandomize=True, database=None, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                               HealthCheck.data_too_large],
        **kwargs,
    )


def load_schema(app: Flask, token: str) -> schemathesis.BaseSchema:
    """The OpenAPI document as the app serves it (fixed seed, no schemathesis.toml), sending ``token``."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=schemathesis.Config(seed=0))

    @schema.auth()
    class BearerToken:
        """The token on every request, except where a negative case leaves it out on purpose.

        Schemathesis knows which: a header forced through ``call(headers=...)`` would turn its
        "no token" cases into accepted writes and fail the negative-data check.
        """

        def get(self, case: Case, context: schemathesis.AuthContext) -> str:
            return token

        def set(self, case: Case, data: str, context: schemathesis.AuthContext) -> None:
            case.headers["Authorization"] = f"Bearer {data}"

    return schema


def empty_articles(app: Flask) -> None:
    """Delete every article, tag, counter and tombstone and restart their ids (the token stays).

    Each scenario must start from the same state: Hypothesis replays scenarios, and one whose
    answers depend on an earlier one's writes (a 409, an id that exists) is reported as flaky.
    """
    engine = app.extensions["feedsvc.engine"]
    tables = [UpstreamItem.__table__, article_tags, article_countries, Article.__table__, Tag.__table__,
              DeletedArticle.__table__, ArticleCount.__table__]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # CASCADE: PostgreSQL's search table (article_search) refers to articles.
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in tables)} RESTART IDENTITY CASCADE"))
        else:  # and SQLite's AUTOINCREMENT counter is reset, so an empty table starts again at 1
            for table in tables:
                conn.execute(table.delete())
            conn.execute(text("DELETE FROM sqlite_sequence WHERE name = 'articles'"))


def has_inputs(operation: schemathesis.APIOperation) -> bool:
    """True when the operation takes something a negative case could get wrong."""
    return any(len(group) for group in (operation.path_parameters, operation.query, operation.body))


def fuzz_operation(operation: schemathesis.APIOperation, mode: GenerationMode, statuses: Counter) -> None:
    """Run one operation's generated cases of one mode through every check."""

    @fuzz_settings(EXAMPLES_PER_OPERATION)
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Case) -> None:
        response = case.call_and_validate(checks=CHECKS)
        statuses[(case.method, case.path, response.status_code)] += 1

    run()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_every_operation_answers_as_documented(app, token, mode) -> None:
    schema = load_schema(app, token)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6, [op.label for op in operations]
    statuses: Counter = Counter()
    for operation in operations:
        if mode == GenerationMode.POSITIVE or has_inputs(operation):
            fuzz_operation(operation, mode, statuses)
    if mode == GenerationMode.POSITIVE:  # the writes were reached, not only refused
        assert statuses[("POST", "/api/articles", 201)] > 0, statuses


def test_stateful_chains_create_then_read_edit_and_delete(app, token) -> None:
    schema = load_schema(app, token)
    statuses: Counter = Counter()

    class Chains(schema.as_state_machine()):  # type: ignore[misc]
        """POST creates; the links from its 201 lead to GET, PATCH and DELETE of that article."""

        def setup(self) -> None:
            empty_articles(app)

        def after_call(self, response: Response, case: Case) -> None:
            statuses[(case.method, case.path, response.status_code)] += 1

        def validate_response(self, response: Response, case: Case, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)

    Chains.run(settings=fuzz_settings(STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS))
    item = "/api/articles/{article_id}"
    # Tables start empty and only this machine writes: every 2xx on an item is a chained step.
    assert statuses[("POST", "/api/articles", 201)] > 0, statuses
    assert statuses[("GET", item, 200)] > 0, statuses
    assert statuses[("PATCH", item, 200)] > 0, statuses
    assert statuses[("DELETE", item, 204)] > 0, statuses
