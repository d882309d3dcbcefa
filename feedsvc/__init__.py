"""feedsvc: news feeds per country, exchange-rate history and embeds (create_app builds the app)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from config import Config
from feedsvc.core.errors import Api


def create_app(config: Config | None = None) -> Flask:
    """Build the app: configuration, database, cache, blueprints, error handlers."""
    config = config or Config()
    app = Flask(__name__, instance_relative_config=True, instance_path=config.INSTANCE_PATH)
    app.config.from_object(config)
    from feedsvc.rates.sources import configure_sources

    configure_sources(app.config)  # only the registry knows the sources: it checks their settings
    from feedsvc.core import site

    site.init_app(app)  # checks the logo file: the instance folder is known only here
    if not app.config.get("DATABASE_URL"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'feedsvc.sqlite3'}"
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]

    from feedsvc import cli
    from feedsvc.articles.upstreams.runs import upstreams_snapshot
    from feedsvc.core import cache, db, errors, hosts, http, metrics, ratelimit, websub
    from feedsvc.rates.monitor import rates_snapshot

    hosts.init_app(app)
    metrics.init_app(app, rates_snapshot, upstreams_snapshot)  # after hosts: its timer starts first
    db.init_app(app)
    websub.init_app(app)  # after db: it listens to the app's sessions
    cache.init_app(app)
    http.init_app(app)
    cli.init_app(app)
    ratelimit.init_app(app)
    _register_blueprints(app)
    errors.init_app(app)  # after flask-smorest, which registers handlers of its own
    return app


def _register_blueprints(app: Flask) -> None:
    from feedsvc.api import articles as api_routes
    from feedsvc.api import health
    from feedsvc.api import rates as rate_routes
    from feedsvc.api import websub as websub_callback
    from feedsvc.core import ratelimit
    from feedsvc.embed import routes as embed_routes
    from feedsvc.feeds import routes as feed_routes
    from feedsvc.web import pages, rates_page, sitemaps

    api = Api(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(api_routes.bp)
    for blueprint in (health.bp, feed_routes.bp, rate_routes.bp, websub_callback.bp, embed_routes.bp,
                      pages.bp, rates_page.bp, sitemaps.bp):
        app.register_blueprint(blueprint)
    ratelimit.limit_writes(app, api_routes.bp)
    # Series over long ranges cost the database and the worker: their views spend LIMIT_RATES; every
    # route that reads a token spends LIMIT_AUTH_FAILURES on a refused one (core.auth).
    ratelimit.parse_limits(app)
