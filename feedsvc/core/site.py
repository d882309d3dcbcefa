"""The site's identity (FEEDSVC_SITE_NAME, _TAGLINE, _LOGO, FEEDSVC_PUBLISHER, FEEDSVC_LANGUAGE): one home.

Every presentation takes the site's name from here (masthead, page and feed titles, the widgets' header
through the feeds, JSON-LD, oEmbed, OPML): none writes a name of its own.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, url_for

from config import ConfigError, SiteIdentity
from feedsvc.core.dates import short_time_tag, time_tag
from feedsvc.core.urls import site_url

LOGO_ENDPOINT = "web.show_site_logo"


def site_identity() -> SiteIdentity:
    """The identity the app was configured with."""
    return current_app.config["SITE"]


def site_name() -> str:
    """The site's name as readers see it (FEEDSVC_SITE_NAME)."""
    return site_identity().name


def logo_file(app: Flask) -> Path | None:
    """The instance folder's logo file, when FEEDSVC_SITE_LOGO names one."""
    logo = app.config["SITE"].logo
    if not logo or logo.startswith(("http://", "https://")):
        return None
    return Path(app.instance_path) / logo


def logo_url() -> str | None:
    """Where pages load the logo from: its URL, or the app's route for an instance file; None without one."""
    logo = site_identity().logo
    if not logo or logo.startswith(("http://", "https://")):
        return logo
    return url_for(LOGO_ENDPOINT)


def presentation_blueprint(name: str, import_name: str, static_url_path: str) -> Blueprint:
    """A blueprint with templates and static files of its own (its folder's templates/ and static/)."""
    return Blueprint(name, import_name, template_folder="templates", static_folder="static",
                     static_url_path=static_url_path)


def template_names() -> dict[str, object]:
    """The identity as every template sees it: site_name, site_tagline, site_language, site_logo."""
    site = site_identity()
    return {"site_name": site.name, "site_tagline": site.tagline, "site_language": site.language,
            "site_logo": logo_url()}


def init_app(app: Flask) -> None:
    """Check the logo file; give every template (pages and embeds alike) the identity's names and the
    filters they share: the one date style (``time``, and ``short_time`` where room is short: "29 Sep")
    and ``site_url`` for stored site paths."""
    check_logo(app)
    app.context_processor(template_names)
    app.add_template_filter(time_tag, "time")
    app.add_template_filter(short_time_tag, "short_time")
    app.add_template_filter(site_url, "site_url")


def check_logo(app: Flask) -> None:
    """Fail at startup, naming the variable, when FEEDSVC_SITE_LOGO names a file the instance folder lacks."""
    path = logo_file(app)
    if path is not None and not path.is_file():
        raise ConfigError(f"FEEDSVC_SITE_LOGO: no file {path.name!r} in the instance folder "
                          f"{app.instance_path}")
