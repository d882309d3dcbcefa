"""HTML pages: home, country listings, article pages, search."""

from flask import Blueprint, render_template

from feedsvc.articles.store import count_by_country, list_articles, list_countries
from feedsvc.db import get_session

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
def show_home() -> str:
    """Countries with article counts, and the latest headlines."""
    session = get_session()
    return render_template(
        "home.html",
        countries=list_countries(session),
        counts=count_by_country(session),
        latest=list_articles(session, per_page=10).items,
    )


@bp.get("/articles/<int:article_id>/<slug>")
def show_article(article_id: int, slug: str) -> str:
    """One article's page (filled in by the feeds/pages work)."""
    return ""
