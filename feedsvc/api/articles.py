"""The JSON API under /api: articles (read freely, write with a token) and countries."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from flask import Flask, Request, Response, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint
from marshmallow import Schema
from marshmallow.fields import Field, List
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest, Conflict, Gone, NotFound, UnsupportedMediaType

from feedsvc.articles import (
    ArticleInSchema,
    ArticleOutSchema,
    ArticlePageSchema,
    ArticlePatchSchema,
    ArticleQuerySchema,
    CountryListSchema,
    CountryName,
    Cursor,
    PublishedAt,
    article_validators,
    changed_fields,
    country_names,
    create_article,
    delete_article,
    get_article,
    is_deleted,
    is_scheduled,
    list_articles,
    update_article,
)
from feedsvc.core.auth import token_holder, token_required
from feedsvc.core.countries import find_country, tracked
from feedsvc.core.db import get_session
from feedsvc.core.http import Answer, conditional_response, json_bytes, public_cache
from feedsvc.core.memo import memoised
from feedsvc.core.models import MAX_ID, Article
from feedsvc.core.params import QueryParams
from feedsvc.core.strict_json import NotJSONConstant, loads_strict
from feedsvc.core.urls import external_url


class StrictJSONParser(FlaskParser):
    """JSON bodies must say so (415 otherwise) and be non-empty (400 otherwise).

    Query strings follow their schema's ``unknown`` (RAISE: an unknown parameter is a 400),
    where webargs would silently drop them, and a parameter given twice is a 400 (webargs would take
    the first), as on every machine endpoint.
    """

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION, "query": None, "querystring": None,
    }

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            raise UnsupportedMediaType("send the body as Content-Type: application/json")
        data = req.get_data(cache=True)
        if not data.strip():
            raise BadRequest("the body is empty; send a JSON object")
        try:
            return loads_strict(data.decode("utf-8"))
        except NotJSONConstant as exc:
            raise BadRequest(str(exc)) from None
        except UnicodeDecodeError:
            raise BadRequest("the body is not UTF-8") from None
        except RecursionError:  # deeply nested arrays: not an article, and not a bug of ours
            raise BadRequest("the JSON body is nested too deeply") from None

    def parse(self, argmap: Any, req: Request | None = None, *, location: str | None = None,
              **kwargs: Any) -> Any:
        """The parsed arguments; a query string's kept per process (the same string parses the same way).

        A warm read then skips marshmallow: the parse was a third of a byte-cache hit's cost.
        """
        if location not in ("query", "querystring") or not isinstance(argmap, Schema):
            return super().parse(argmap, req, location=location, **kwargs)
        key = (argmap, request.query_string)
        return dict(memoised(PARSED, None, key,
                             lambda: super(StrictJSONParser, self).parse(argmap, req, location=location,
                                                                         **kwargs)))

    def load_querystring(self, req: Request, schema: Schema) -> Any:
        """The query string, after refusing a single-valued parameter given more than once."""
        single = [field.data_key or name for name, field in schema.fields.items()
                  if not isinstance(field, List)]
        QueryParams(req.args, single, unknown="ignore").done()  # unknown names: the schema says
        return super().load_querystring(req, schema)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint using the strict JSON parser."""

    ARGUMENTS_PARSER = StrictJSONParser()

    def register_views_in_doc(self, api: Api, app: Flask, spec: APISpec, **kwargs: Any) -> None:
        """Document the views with what only the app knows: its tracked countries."""
        api.register_field(PublishedAt, "string", None)  # no one format: its forms are an anyOf
        names = country_names(app.config["COUNTRIES"])

        def country_enum(converter: Any, field: Field, **_: Any) -> dict[str, Any]:
            return {"enum": names} if isinstance(field, CountryName) else {}

        api.ma_plugin.converter.add_attribute_function(country_enum)
        super().register_views_in_doc(api, app, spec, **kwargs)


# Made once: a schema's construction copies its fields (0.3 ms a page); dumping keeps no state.
PAGE_SCHEMA, ARTICLE_SCHEMA = ArticlePageSchema(), ArticleOutSchema()
PARSED = "feedsvc.api.parsed"  # the memo of parsed query strings (feedsvc/core/memo.py)
bp = ApiBlueprint("api", __name__, url_prefix="/api", description="Articles and countries")
WRITE_DOC = {"security": [{"bearerAuth": []}]}
# Reads are public; with a valid token they also show scheduled articles (an invalid one is a 401).
READ_DOC = {"security": [{}, {"bearerAuth": []}]}


def read_headers() -> dict[str, str]:
    """Caching of a read: anonymous ones may sit a second in a shared cache, a token holder's never.

    The answer depends on the token (scheduled articles), so caches key on Authorization too.
    """
    if "Authorization" in request.headers:
        return {"Vary": "Authorization", "Cache-Control": "private, no-store"}
    return {"Vary": "Authorization", "Cache-Control": public_cache(0)}


def next_page_url(query: dict[str, Any], after: Cursor) -> str:
    """The absolute URL of the page after ``after`` in the listing ``query`` names."""
    kept = {name: query[name] for name in ("country", "tag", "per_page") if name in query}
    return external_url("api.Articles", **kept, after=after.encode())


def cached_read(build: Callable[[bool], Answer], *parts: Hashable) -> Response:
    """A read: an anonymous one from the byte cache by its ETag (a 304 when the client has it), built on a
    miss; one with a token (which may show scheduled articles) built each time, never stored.

    ``build(scheduled)`` answers with scheduled articles or without; ``parts`` name the answer.
    """
    if "Authorization" in request.headers:
        answer = build(token_holder())  # first: an invalid token is a 401 whatever was asked
        headers = {**answer.headers, **read_headers()}
        return Response(answer.body, headers=headers, mimetype="application/json")
    etag, _marker = article_validators(*parts)
    response = conditional_response(etag, None, lambda: build(False), "application/json", public_cache(0),
                                    key=f"api:{etag}", variant=parts)
    response.headers["Vary"] = "Authorization, Accept-Encoding"
    return response


def listing_answer(query: dict[str, Any], scheduled: bool) -> Answer:
    """A page of the listing ``query`` names, with its ``Link: rel="next"`` when there is a next page."""
    page = list_articles(get_session(), **query, scheduled=scheduled)
    headers = {}
    if page.next is not None:  # RFC 8288: a client walking everything follows rel="next"
        headers["Link"] = f'<{next_page_url(query, page.next)}>; rel="next"'
    data = {"items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total,
            "pages": page.pages}
    return Answer(json_bytes(PAGE_SCHEMA.dump(data)), headers)


def item_answer(article_id: int, may_see_scheduled: bool) -> Answer:
    """One article; a scheduled one only to a token holder (404 otherwise), a deleted one 410."""
    article = load_article(get_session(), article_id)
    if is_scheduled(article) and not may_see_scheduled:
        raise NotFound(f"no article with id {article_id}")  # word for word a missing id's answer
    return Answer(json_bytes(ARTICLE_SCHEMA.dump(article)), {})


def errors_doc(*statuses: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Document the error answers a view can give (each in the one error shape)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        for status in statuses:
            view = bp.alt_response(status, HTTPStatus(status).name)(view)
        return view

    return decorate


WRITE_ERRORS = (400, 401, 409, 413, 415, 422)


def load_article(session: Session, article_id: int) -> Article:
    """The article with this id (scheduled ones too); 410 when it was deleted, else 404."""
    article = get_article(session, article_id) if article_id <= MAX_ID else None
    if article is None and article_id <= MAX_ID and is_deleted(session, article_id):
        raise Gone(f"article {article_id} was deleted")
    if article is None:
        raise NotFound(f"no article with id {article_id}")
    return article


def save_or_conflict(session: Session, write: Callable[[], Article]) -> Article:
    """Run a store write and commit; a duplicate ``external_id`` becomes a 409.

    The unique index alone decides: it also sees a concurrent writer's article, which no look-up before
    the write would.
    """
    try:
        article = write()
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("an article with this external_id already exists") from None
    return article


@bp.route("/articles")
class Articles(MethodView):
    """The article collection."""

    @bp.doc(**READ_DOC)
    # An instance, made once: webargs would make one per request from the class.
    @bp.arguments(ArticleQuerySchema(), location="query", error_status_code=400)
    @bp.response(200, ArticlePageSchema)
    @errors_doc(400, 401)
    def get(self, query: dict[str, Any]) -> Response:
        """List published articles, newest first, filtered by country, tag and text.

        With a valid token, scheduled articles (``status`` ``scheduled``) are listed too.
        """
        if "country" in query:  # a slug or an ISO code, checked by the schema
            query["country"] = find_country(query["country"]).slug
        parts = sorted(query.items())
        return cached_read(lambda scheduled: listing_answer(query, scheduled), "api-list", *parts)

    @bp.doc(**WRITE_DOC)
    @token_required
    @bp.arguments(ArticleInSchema)
    @bp.response(201, ArticleOutSchema)
    @errors_doc(*WRITE_ERRORS)
    def post(self, data: dict[str, Any]) -> tuple[Article, dict[str, str]]:
        """Create an article (needs a token); answers 201 with its Location."""
        session = get_session()
        article = save_or_conflict(session, lambda: create_article(session, data))
        return article, {"Location": external_url("api.ArticleItem", article_id=article.id)}


@bp.route("/articles/<int:article_id>")
class ArticleItem(MethodView):
    """One article."""

    @bp.doc(**READ_DOC)
    @bp.response(200, ArticleOutSchema)
    @errors_doc(401, 404, 410)
    def get(self, article_id: int) -> Response:
        """One article by id; a scheduled one only with a valid token (404 otherwise), a deleted one 410."""
        # The token before the id: an invalid one is a 401 for every id, so no answer tells a scheduled
        # id apart.
        return cached_read(lambda scheduled: item_answer(article_id, scheduled), "api-item", article_id)

    @bp.doc(**WRITE_DOC)
    @token_required
    @bp.arguments(ArticlePatchSchema)
    @bp.response(200, ArticleOutSchema)
    @errors_doc(*WRITE_ERRORS, 404, 410)
    def patch(self, data: dict[str, Any], article_id: int) -> Article:
        """Change some fields of an article (needs a token); its uuid never changes."""
        session = get_session()
        article = load_article(session, article_id)
        if not changed_fields(session, article, data):
            return article  # a no-op edit must not invalidate every feed's ETag
        return save_or_conflict(session, lambda: update_article(session, article, data))

    @bp.doc(**WRITE_DOC)
    @token_required
    @bp.response(204)
    @errors_doc(401, 404, 410)
    def delete(self, article_id: int) -> None:
        """Delete an article (needs a token)."""
        session = get_session()
        delete_article(session, load_article(session, article_id))
        session.commit()


@bp.route("/countries")
class Countries(MethodView):
    """The tracked countries."""

    @bp.response(200, CountryListSchema)
    def get(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Every tracked country with its feed URLs."""
        return {"items": tracked()}, read_headers()
