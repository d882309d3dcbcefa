"""Demo articles written for feedsvc (idempotent by external_id)."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_request_context, request
from sqlalchemy.orm import Session

from feedsvc.articles.demo_data import DEMO_ARTICLES
from feedsvc.articles.schemas import ArticleInSchema
from feedsvc.articles.upsert import upsert_article

# Without FEEDSVC_PUBLIC_URL or a request, the demo's own images live at the default `feedsvc run` address.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def demo_base_url() -> str:
    """Where the demo's images are served: FEEDSVC_PUBLIC_URL, else the current request, else the default."""
    public = current_app.config.get("PUBLIC_URL")
    if public:
        return public
    return request.root_url.rstrip("/") if has_request_context() else DEFAULT_BASE_URL


def with_own_images(item: dict[str, Any], base: str) -> dict[str, Any]:
    """The item with a site path in ``image_url`` made absolute: the data model stores absolute URLs."""
    image = item.get("image_url")
    return {**item, "image_url": base + image} if image and image.startswith("/") else item


def load_demo_articles(session: Session) -> int:
    """Insert the demo articles not yet present (and refresh changed ones); return how many were new."""
    schema = ArticleInSchema()
    base = demo_base_url()
    outcomes = [upsert_article(session, schema.load(with_own_images(item, base))) for item in DEMO_ARTICLES]
    return outcomes.count("created")
