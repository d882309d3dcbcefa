"""The articles domain: store, cleaning, scheduling. This module is its public surface.

Presentations import from here only (the import-linter contract in pyproject.toml keeps it so); the
modules beside it are the domain's own.
"""

from feedsvc.articles.authors import split_author
from feedsvc.articles.catalog import (
    oldest_recent,
    select_recent_rows,
    select_visible_rows,
    visible_id_range,
)
from feedsvc.articles.clean import absolute_links
from feedsvc.articles.golive import claim_gone_live
from feedsvc.articles.listing import (
    Cursor,
    Page,
    count_by_country,
    count_visible,
    decode_cursor,
    list_articles,
    list_country_articles,
)
from feedsvc.articles.schedule import article_validators, read_articles_marker
from feedsvc.articles.schemas import (
    ArticleInSchema,
    ArticleOutSchema,
    ArticlePageSchema,
    ArticlePatchSchema,
    ArticleQuerySchema,
    CountryListSchema,
    CountryName,
    PublishedAt,
    country_names,
)
from feedsvc.articles.store import (
    changed_fields,
    create_article,
    delete_article,
    get_article,
    is_deleted,
    is_scheduled,
    newest_articles,
    update_article,
)
from feedsvc.articles.tags import tag_exists
from feedsvc.articles.upstreams.sync import PushOutcome, receive_push
from feedsvc.articles.upstreams.websub import verify_intent

__all__ = [
    "ArticleInSchema", "ArticleOutSchema", "ArticlePageSchema", "ArticlePatchSchema",
    "ArticleQuerySchema", "CountryListSchema", "CountryName", "Cursor", "Page", "PublishedAt",
    "PushOutcome", "absolute_links", "article_validators", "changed_fields", "claim_gone_live",
    "count_by_country", "count_visible", "country_names", "create_article", "decode_cursor", "delete_article",
    "get_article", "is_deleted", "is_scheduled", "list_articles", "list_country_articles", "newest_articles",
    "oldest_recent", "read_articles_marker", "receive_push", "select_recent_rows", "select_visible_rows",
    "split_author", "tag_exists", "update_article", "verify_intent", "visible_id_range",
]
