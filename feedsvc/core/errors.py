"""One JSON error shape for the API, feeds and rates; HTML error pages elsewhere."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import flask_smorest
from flask import Flask, Response, current_app, jsonify, render_template, request
from marshmallow import Schema, ValidationError, fields
from werkzeug.exceptions import HTTPException, InternalServerError, PreconditionFailed, ServiceUnavailable

from feedsvc.core.cache import last_known_response
from feedsvc.core.db import DRIVER_OUTAGES, outage_detail, outage_kind

RETRY_AFTER = 30  # seconds a client should wait after a 503 for a database outage
JSON_PREFIXES = ("/api", "/feeds", "/rates.", "/rates/", "/healthz", "/embed/v1", "/oembed", "/websub/")


class BadRequestParams(HTTPException):
    """A query-string parameter is not acceptable (400, with per-field messages)."""

    code = 400

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class ErrorDetailSchema(Schema):
    """The inside of an error answer."""

    status = fields.Integer(required=True, metadata={"description": "the HTTP status"})
    message = fields.String(required=True)
    field_messages = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
        metadata={"description": "messages per field (400 and 422)"},
    )


class ErrorSchema(Schema):
    """``{"error": {"status", "message", "fields"?}}`` — every error the service answers."""

    error = fields.Nested(ErrorDetailSchema, required=True)


class Api(flask_smorest.Api):
    """flask-smorest's Api documenting our error shape instead of its own."""

    ERROR_SCHEMA = ErrorSchema


def wants_json() -> bool:
    """True when the request is for a machine endpoint that answers errors in JSON."""
    return request.path.startswith(JSON_PREFIXES)  # "/feeds" covers /feeds.opml too


def error_response(
    status: int, message: str, fields: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """``{"error": {"status", "message", "fields"?}}`` with no-store caching."""
    body: dict[str, Any] = {"status": status, "message": message}
    if fields:
        body["fields"] = fields
    response = jsonify(error=_encodable(body))
    response.status_code = status
    response.headers.update(headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _encodable(value: Any) -> Any:
    """Replace lone surrogates (JSON ``\\ud800`` escapes echoed back in messages) so UTF-8 can encode them."""
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_encodable(key): _encodable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_encodable(item) for item in value]
    return value


def reject_nul() -> None:
    """400 for a NUL character in the path or query string: PostgreSQL can't store or compare it."""
    args = request.args
    if "\x00" in request.path or any("\x00" in k or "\x00" in "".join(args.getlist(k)) for k in args):
        raise BadRequestParams("the URL contains a NUL character (%00)", {"url": ["NUL is not allowed"]})


def _html_error(status: int, title: str, message: str) -> Response:
    response = Response(
        render_template("error.html", status=status, title=title, message=message), status
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def flatten_messages(messages: Any) -> dict[str, list[str]]:
    """Turn webargs/marshmallow messages into ``{"field": ["message", ...]}``."""
    if isinstance(messages, dict) and set(messages) <= {"json", "query", "form", "headers"}:
        merged: dict[str, Any] = {}
        for value in messages.values():
            merged.update(value if isinstance(value, dict) else {"_schema": value})
        messages = merged
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in _as_list(messages)]}
    fields = {}
    for key, value in messages.items():
        name = "body" if key == "_schema" else str(key)
        if isinstance(value, dict):  # nested (list items, nested objects)
            for sub, msgs in flatten_messages(value).items():
                fields[f"{name}.{sub}"] = msgs
        else:
            fields[name] = [str(m) for m in _as_list(value)]
    return fields


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def handle_http_exception(exc: HTTPException) -> Response:
    """Answer an HTTP error in JSON or HTML, keeping its status and headers."""
    status = exc.code or 500
    message = exc.description or exc.name
    fields = getattr(exc, "fields", None)
    data = getattr(exc, "data", None)  # webargs attaches {"messages": ...}
    if isinstance(data, dict) and "messages" in data:
        fields = flatten_messages(data["messages"])
        message = "the request is not valid; see fields"
    headers = dict(exc.get_headers()) if status != 500 else {}
    headers.pop("Content-Type", None)
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if wants_json():
        return error_response(status, message, fields, headers)
    response = _html_error(status, exc.name, message)
    response.headers.update(headers)
    return response


def handle_validation_error(exc: ValidationError) -> Response:
    """A body that is valid JSON but has invalid fields: 422 with per-field messages."""
    return error_response(422, "the request is not valid; see fields", flatten_messages(exc.messages))


def handle_unexpected(exc: Exception) -> Response:
    """A bug: log it with its traceback, answer 500 without one."""
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError())


def handle_database_outage(exc: Exception) -> Response:
    """The database is down or too slow: the last known bytes of a feed or rates URL, else 503."""
    kind = outage_kind(exc)
    if kind is None:  # a bug, not an outage
        return handle_unexpected(exc)
    current_app.extensions["feedsvc.outages"].note(kind, exc)
    stale = last_known_response()
    if stale is not None:
        return stale
    message = "the database is unavailable; try again shortly"
    return handle_http_exception(ServiceUnavailable(message, retry_after=RETRY_AFTER))


class OutageLog:
    """One log line per kind of database outage per minute, with the count of the requests in between."""

    def __init__(self, logger: logging.Logger, interval: float = 60.0) -> None:
        self.logger, self.interval = logger, interval
        self.lock = threading.Lock()
        self.seen: dict[str, tuple[float, int]] = {}  # kind -> (last logged, failures since)

    def note(self, kind: str, exc: Exception) -> None:
        """Count one failure of ``kind``; log it if none was logged within the interval."""
        now = time.monotonic()
        with self.lock:
            logged, since = self.seen.get(kind, (-self.interval, 0))
            if now - logged < self.interval:
                self.seen[kind] = (logged, since + 1)
                return
            self.seen[kind] = (now, 0)
        more = f" ({since} more since the last line)" if since else ""
        self.logger.error("database unavailable (%s): %s%s", kind, outage_detail(exc), more)


def replace_bare_412(response: Response) -> Response:
    """A 412 in the error shape of its endpoint, instead of the whole resource werkzeug leaves as its body.

    werkzeug's ``make_conditional`` (static files, /rates/sources.json) answers an ``If-Match`` naming
    another version with status 412 but keeps the document (a CSS file, a JSON listing) as the body.
    """
    if response.status_code != 412:
        return response
    response.close()
    return handle_http_exception(PreconditionFailed())


def init_app(app: Flask) -> None:
    """Register the error handlers (after flask-smorest, so ours win)."""
    app.before_request(reject_nul)
    app.after_request(replace_bare_412)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(Exception, handle_unexpected)
    app.extensions["feedsvc.outages"] = OutageLog(app.logger)
    for database_error in DRIVER_OUTAGES:
        app.register_error_handler(database_error, handle_database_outage)
