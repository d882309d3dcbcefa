"""What an article page tells sharers and search engines: Open Graph, Twitter card, schema.org NewsArticle.

The facts are the feeds' facts: the same headline, dates, author name (never the address), image and URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from config import CountryConfig
from feedsvc.articles import split_author
from feedsvc.core.models import Article
from feedsvc.core.site import logo_url, site_identity, site_name
from feedsvc.core.urls import article_page_url, external_url, site_url
from feedsvc.web.formats import iso, json_ld


def open_graph(article: Article, url: str, country: CountryConfig | None) -> list[tuple[str, str]]:
    """``<meta property=...>`` pairs: og:* and article:*."""
    tags = [("og:type", "article"), ("og:site_name", site_name()), ("og:title", article.title),
            ("og:url", url),
            ("article:published_time", iso(article.published_at)),
            ("article:modified_time", iso(article.updated_at, exact=True))]
    if article.summary:
        tags.append(("og:description", article.summary))
    if article.image_url:
        tags.append(("og:image", site_url(article.image_url)))
    if country is not None:
        tags.append(("article:section", country.name))
    return tags + [("article:tag", tag.slug) for tag in article.tags]


def twitter_card(article: Article) -> list[tuple[str, str]]:
    """``<meta name=...>`` pairs of the Twitter (X) card; a large image card when there is an image."""
    card = "summary_large_image" if article.image_url else "summary"
    tags = [("twitter:card", card), ("twitter:title", article.title)]
    if article.summary:
        tags.append(("twitter:description", article.summary))
    if article.image_url:
        tags.append(("twitter:image", site_url(article.image_url)))
    return tags


def news_article(article: Article, url: str) -> dict[str, Any]:
    """The schema.org NewsArticle of a page, as a dict ready for JSON-LD."""
    data: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url}, "url": url,
        "headline": article.title, "inLanguage": article.language,
        "datePublished": iso(article.published_at), "dateModified": iso(article.updated_at, exact=True),
        "publisher": publisher(),
    }
    if article.summary:
        data["description"] = article.summary
    author = split_author(article.author)
    if author is not None:
        data["author"] = [{"@type": "Person", "name": author.name}]
    if article.image_url:
        data["image"] = [site_url(article.image_url)]
    if article.tags:
        data["keywords"] = [tag.slug for tag in article.tags]
    if article.countries:
        data["articleSection"] = [country.name for country in article.countries]
    return data


def publisher() -> dict[str, Any]:
    """The schema.org Organization publishing the site (FEEDSVC_PUBLISHER), with its logo when set."""
    data: dict[str, Any] = {"@type": "Organization", "name": site_identity().publisher,
                            "url": external_url("web.show_home")}
    logo = logo_url()
    if logo:
        data["logo"] = {"@type": "ImageObject", "url": urljoin(external_url("web.show_home"), logo)}
    return data


def article_meta(article: Article, country: CountryConfig | None) -> dict[str, Any]:
    """Everything the article template puts in its ``<head>`` for sharing and search."""
    url = article_page_url(article)
    return {"canonical": url, "og": open_graph(article, url, country), "twitter": twitter_card(article),
            "json_ld": json_ld(news_article(article, url))}

