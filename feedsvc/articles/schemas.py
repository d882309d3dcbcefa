"""Marshmallow schemas: they validate API requests and generate /api/openapi.json."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from config import CountryConfig
from feedsvc.articles.clean import (
    MAX_ALT,
    MAX_IMAGE_SIDE,
    MAX_TITLE,
    absolute_links,
    has_illegal,
    has_invisible,
)
from feedsvc.articles.listing import Cursor, decode_cursor
from feedsvc.articles.search import SearchHit
from feedsvc.articles.store import is_scheduled
from feedsvc.core.countries import tracked
from feedsvc.core.urls import article_page_url, feed_urls, site_root, site_url


class FullMatch(validate.Regexp):
    """A pattern the whole value must match, written ``^...$`` so that it reads the same in ECMA-262.

    Python's ``$`` also matches before a final newline; ``fullmatch`` does not let one through.
    """

    def __call__(self, value: str) -> str:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


SLUG = FullMatch(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$", error="must be a slug (a-z, 0-9, -)")
BCP47 = FullMatch(
    r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$", error="must be a BCP 47 language tag such as en or ru-KZ"
)
HTTP_URL = {"schemes": {"http", "https"}, "require_tld": False}
MAX_URL = 2048
# The W3C Feed Validator warns "implausible date" before 1990; the desk's countries date from 1991.
EARLIEST_PUBLISHED = 1990
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# An RFC 3339 date-time whose offset may be left out (then it is UTC); marshmallow alone takes more.
_LOCAL_DATE_TIME = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
_DATE_TIME = re.compile(_LOCAL_DATE_TIME + r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})?")
PUBLISHED_AT_DOC = {
    "description": "An RFC 3339 date-time (without an offset it is UTC) or a plain date YYYY-MM-DD "
                   "(midnight UTC), from 1990-01-01 to the year 2999 once in UTC (feed validators call "
                   "earlier dates implausible; later ones are scheduled posts).",
    "anyOf": [{"format": "date-time"}, {"format": "date"}, {"pattern": f"^{_LOCAL_DATE_TIME}$"}],
}


STATUS_DOC = (
    "published: public since published_at; scheduled: published_at is still ahead, so the article is "
    "in no feed, page, listing, search or embed yet and only token holders see it here"
)


def no_illegal_characters(value: str) -> None:
    """Identifiers and URLs are refused (not silently changed) when they hold illegal characters."""
    if has_illegal(value):
        raise ValidationError("contains control characters, surrogates or noncharacters")


class PublishedAt(fields.AwareDateTime):
    """An RFC 3339 date-time (naive means UTC) or a plain date (midnight UTC), returned in UTC."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value):
            value += "T00:00:00Z"
        elif isinstance(value, str) and _DATE_TIME.fullmatch(value):
            value = value.upper()  # RFC 3339 allows t and z
        else:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE)
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            parsed = parsed.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 with an offset
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        if not EARLIEST_PUBLISHED <= parsed.year <= 2999:
            raise ValidationError(f"must be between the years {EARLIEST_PUBLISHED} and 2999")
        return parsed


def country_names(countries: Sequence[CountryConfig]) -> list[str]:
    """What the API takes for a country: each tracked country's slug, then its ISO code (lower case)."""
    return [c.slug for c in countries] + [c.code for c in countries]


class CountryName(fields.String):
    """A tracked country's slug or lower-case ISO code (the app's spec lists them as an enum)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        name = super()._deserialize(value, attr, data, **kwargs)
        if name not in country_names(tracked()):
            slugs = ", ".join(c.slug for c in tracked())
            raise ValidationError(f"unknown country; allowed: {slugs} (or their ISO codes, lower case)")
        return name


# What RFC 3986 never allows as such in a URI (spaces, quotes, angle brackets and a few others must be
# percent-encoded), and a % that starts no %XX. Letters beyond ASCII are let through (RFC 3987 IRIs:
# a Cyrillic path is how the region's sites write their URLs), invisible format characters are not.
_NOT_IN_URI = re.compile(r'[\s"<>\\^`{|}]|%(?![0-9A-Fa-f]{2})')


def uri_characters(value: str) -> None:
    """Refuse characters a URI may not hold as such (they are not silently encoded or dropped)."""
    if _NOT_IN_URI.search(value) or has_invisible(value):
        raise ValidationError('must be a URI: spaces, ", <, >, \\, ^, `, {, |, } and a % not followed by two '
                              "hex digits must be percent-encoded; no invisible format characters")


def http_url(**kwargs: Any) -> fields.Url:
    """An absolute http(s) URI (or IRI) without illegal characters."""
    return fields.Url(
        validate=[validate.Length(max=MAX_URL), no_illegal_characters, uri_characters,
                  validate.Regexp(r"^https?://", error="must start with http:// or https://")],
        metadata={"format": "uri", "description": "an absolute http or https URI; characters RFC 3986 "
                                                  "does not allow must be percent-encoded"},
        **HTTP_URL, **kwargs,
    )


def image_url(**kwargs: Any) -> fields.Url:
    """An absolute http(s) URL, or a path on this site (``/assets/photo.jpg``), without illegal characters."""
    return fields.Url(
        relative=True,
        validate=[validate.Length(max=MAX_URL), no_illegal_characters, uri_characters,
                  validate.Regexp(r"^(https?://|/[^/\\])",
                                  error="must start with http://, https:// or one / (a path on this site)")],
        metadata={"format": "uri-reference",
                  "description": "an absolute http or https URL, or a path on this site such as "
                                 "/assets/photo.jpg (answered absolute, on the site's public address)"},
        **HTTP_URL, **kwargs,
    )


def image_size(**kwargs: Any) -> fields.Integer:
    """A width or height in pixels, as the image file has it."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_IMAGE_SIDE),
                          metadata={"description": "pixels, as the image file has it; pages reserve the "
                                                   "image's box from width and height"}, **kwargs)


def identifier(**kwargs: Any) -> list[Any]:
    """Validators of a short identifier-like string (slug, id, language tag)."""
    return [validate.Length(**kwargs), no_illegal_characters]


class ArticleInSchema(Schema):
    """An article as clients write it (POST; PATCH takes any subset)."""

    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TITLE * 4))
    summary = fields.String(allow_none=True, validate=validate.Length(max=10_000))
    content_html = fields.String(allow_none=True)
    source_url = http_url(allow_none=True)
    countries = fields.List(
        CountryName(),
        required=True,
        validate=validate.Length(min=1, max=10, error="give between 1 and 10 countries"),
    )
    tags = fields.List(fields.String(validate=[validate.Length(max=64), SLUG]),
                       validate=validate.Length(max=20))
    author = fields.String(allow_none=True, validate=validate.Length(max=200))
    image_url = image_url(allow_none=True)
    image_width = image_size(allow_none=True)
    image_height = image_size(allow_none=True)
    image_alt = fields.String(allow_none=True, validate=validate.Length(max=MAX_ALT),
                              metadata={"description": "what the image shows, for readers who can't see it"})
    language = fields.String(validate=[BCP47, validate.Length(max=35)])
    published_at = PublishedAt(metadata=PUBLISHED_AT_DOC)
    external_id = fields.String(allow_none=True, validate=identifier(min=1, max=200))


class ArticlePatchSchema(ArticleInSchema):
    """A partial update: any subset of the writable fields."""

    title = fields.String(validate=validate.Length(min=1, max=MAX_TITLE * 4))
    countries = fields.List(
        CountryName(),
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
    status = fields.Raw(load_only=True)


class Derived(fields.Function):
    """A value computed from the object dumped, which its function takes alone.

    Marshmallow's Function field reads its function's signature on every call, to see whether it also
    takes a context: an eighth of the cost of a page of 20 articles.
    """

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return self.serialize_func(obj)  # type: ignore[misc]


class ArticleOutSchema(Schema):
    """An article as the API returns it."""

    id = fields.Integer()
    uuid = fields.String()
    title = fields.String()
    summary = fields.String()
    content_html = Derived(lambda a: absolute_links(a.content_html, site_root()), metadata={"type": "string"})
    source_url = fields.String(allow_none=True)
    url = Derived(article_page_url, metadata={"type": "string", "format": "uri"})
    countries = Derived(lambda a: [c.slug for c in a.countries], metadata={"type": "array"})
    tags = Derived(lambda a: [t.slug for t in a.tags], metadata={"type": "array"})
    author = fields.String(allow_none=True)
    image_url = Derived(lambda a: site_url(a.image_url),
                        metadata={"type": "string", "format": "uri", "nullable": True})
    image_width = fields.Integer(allow_none=True)
    image_height = fields.Integer(allow_none=True)
    image_alt = fields.String(allow_none=True)
    language = fields.String()
    published_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    external_id = fields.String(allow_none=True)
    snippet = fields.String(metadata={
        "description": "search results only: a passage with the matched words in <mark>, as escaped HTML"})
    status = Derived(
        lambda a: "scheduled" if is_scheduled(a) else "published",
        metadata={"type": "string", "enum": ["published", "scheduled"],
                  "description": STATUS_DOC},
    )

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """The field ``attr`` of an article, or of a search hit (its article's, and its own snippet).

        Read from the article itself: through the hit, every field cost a failed look-up first.
        """
        if isinstance(obj, SearchHit) and attr != "snippet":
            obj = obj.article
        return getattr(obj, attr, default)


class CursorField(fields.String):
    """An ``after=`` cursor, as the API hands it out in ``Link: rel=next``."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Cursor:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return decode_cursor(text)
        except ValueError:
            raise ValidationError("not a cursor from this API: follow the Link: rel=next header") from None


class ArticleQuerySchema(Schema):
    """Query string of GET /api/articles."""

    class Meta:
        unknown = RAISE

    country = CountryName()
    tag = fields.String(validate=validate.Length(min=1, max=64))
    q = fields.String(validate=validate.Length(max=500), metadata={
        "description": 'full-text search: words, "a phrase", -excluded, a or b; results best first'})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    after = CursorField(metadata={
        "description": "continue after this cursor (from a Link: rel=next header) instead of a page"})

    @validates_schema(pass_original=True)
    def check_after(self, data: dict[str, Any], original: Any, **_: Any) -> None:
        """A cursor continues a listing: it takes neither a page number nor a search."""
        if "after" in data:
            given = [name for name in ("page", "q") if name in original]
            if given:
                raise ValidationError(f"give after or {' and '.join(given)}, not both", "after")


class ArticlePageSchema(Schema):
    """A page of articles."""

    items = fields.List(fields.Nested(ArticleOutSchema))
    page = fields.Integer(allow_none=True, metadata={"description": "null on a page reached by cursor"})
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


class CountrySchema(Schema):
    """A tracked country with its feed URLs."""

    slug = fields.String()
    code = fields.String()
    name = fields.String()
    currency = fields.String()
    feeds = Derived(lambda c: feed_urls(c.slug), metadata={"type": "object"})


class CountryListSchema(Schema):
    """All tracked countries."""

    items = fields.List(fields.Nested(CountrySchema))
