"""Marshmallow schemas: they validate API requests and generate /api/openapi.json."""

from __future__ import annotations

from datetime import UTC

from marshmallow import RAISE, Schema, fields, validate

from feedsvc.articles.store import MAX_TITLE
from feedsvc.web.urls import article_page_url, external_url

SLUG = validate.Regexp(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$", error="must be a slug (a-z, 0-9, -)")
BCP47 = validate.Regexp(
    r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$", error="must be a BCP 47 language tag such as en or ru-KZ"
)
HTTP_URL = {"schemes": {"http", "https"}, "require_tld": False}


class ArticleInSchema(Schema):
    """An article as clients write it (POST; PATCH takes any subset)."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE * 4))
    summary = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    content_html = fields.String(allow_none=True)
    source_url = fields.Url(allow_none=True, **HTTP_URL)
    countries = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(min=1, max=10, error="give between 1 and 10 countries"),
    )
    tags = fields.List(fields.String(validate=[validate.Length(max=64), SLUG]),
                       validate=validate.Length(max=20))
    author = fields.String(allow_none=True, validate=validate.Length(max=200))
    image_url = fields.Url(allow_none=True, **HTTP_URL)
    language = fields.String(validate=BCP47)
    published_at = fields.AwareDateTime(default_timezone=UTC)
    external_id = fields.String(allow_none=True, validate=validate.Length(min=1, max=200))


class ArticlePatchSchema(ArticleInSchema):
    """A partial update: any subset of the writable fields."""

    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE * 4))
    countries = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        validate=validate.Length(min=1, max=10, error="give between 1 and 10 countries"),
    )


class ArticleImportSchema(ArticleInSchema):
    """An NDJSON import line: the API's schema; ``uuid`` is kept, other output fields ignored."""

    class Meta:
        unknown = RAISE

    uuid = fields.UUID()
    id = fields.Raw(load_only=True)
    url = fields.Raw(load_only=True)
    updated_at = fields.Raw(load_only=True)


class ArticleOutSchema(Schema):
    """An article as the API returns it."""

    id = fields.Integer()
    uuid = fields.String()
    title = fields.String()
    summary = fields.String()
    content_html = fields.String()
    source_url = fields.String(allow_none=True)
    url = fields.Function(article_page_url, metadata={"type": "string", "format": "uri"})
    countries = fields.Function(lambda a: [c.slug for c in a.countries], metadata={"type": "array"})
    tags = fields.Function(lambda a: [t.slug for t in a.tags], metadata={"type": "array"})
    author = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True)
    language = fields.String()
    published_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    external_id = fields.String(allow_none=True)


class ArticleQuerySchema(Schema):
    """Query string of GET /api/articles."""

    class Meta:
        unknown = RAISE

    country = fields.String(validate=validate.Length(min=1, max=64))
    tag = fields.String(validate=validate.Length(min=1, max=64))
    q = fields.String(validate=validate.Length(max=500))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class ArticlePageSchema(Schema):
    """A page of articles."""

    items = fields.List(fields.Nested(ArticleOutSchema))
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class CountrySchema(Schema):
    """A tracked country with its feed URLs."""

    slug = fields.String()
    code = fields.String()
    name = fields.String()
    currency = fields.String()
    feeds = fields.Function(
        lambda c: {fmt: external_url("feeds.get_feed", country=c.slug, fmt=fmt)
                   for fmt in ("rss", "atom", "json")},
        metadata={"type": "object"},
    )


class CountryListSchema(Schema):
    """All tracked countries."""

    items = fields.List(fields.Nested(CountrySchema))
