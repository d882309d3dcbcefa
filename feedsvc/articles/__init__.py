"""The articles domain: store, cleaning, scheduling. This module is its public surface.

Presentations import from here only (the import-linter contract in pyproject.toml keeps it so); the
modules beside it are the domain's own.
"""

from feedsvc.articles.authors import split_author
from feedsvc.articles.catalog import count_visible, newest_visible, select_recent_rows, select_visible_rows
from feedsvc.articles.clean import absolute_links
from feedsvc.articles.golive import claim_gone_live
from feedsvc.articles.schedule import read_articles_marker
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
    Page,
    changed_fields,
    count_by_country,
    create_article,
    delete_article,
    get_article,
    is_deleted,
    is_scheduled,
    list_articles,
    list_country_articles,
    newest_articles,
    update_article,
)
from feedsvc.articles.tags import tag_exists

__all__ = [
    "ArticleInSchema", "ArticleOutSchema", "ArticlePageSchema", "ArticlePatchSchema",
    "ArticleQuerySchema", "CountryListSchema", "CountryName", "Page", "PublishedAt", "absolute_links",
    "changed_fields", "claim_gone_live", "count_by_country", "count_visible", "country_names",
    "create_article", "delete_article", "get_article", "is_deleted", "is_scheduled", "list_articles",
    "list_country_articles", "newest_articles", "newest_visible", "read_articles_marker",
    "select_recent_rows", "select_visible_rows", "split_author", "tag_exists", "update_article",
]
