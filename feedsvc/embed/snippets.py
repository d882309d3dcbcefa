"""The paste-ready snippets the builder shows, built on FEEDSVC_PUBLIC_URL."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from feedsvc.embed.params import DEFAULT_LIMIT, BuilderQuery
from feedsvc.web.urls import external_url


@dataclass(frozen=True)
class Snippets:
    """HTML to paste: the script widget, the iframe, and the rates ticker."""

    script: str
    iframe: str
    ticker: str


def _attrs(values: dict[str, str]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in values.items())


def make_snippets(query: BuilderQuery) -> Snippets:
    """The snippets for the builder's current choices (defaults left out to keep them short)."""
    options = query.options
    data = {"data-country": query.country}
    if options.tag:
        data["data-tag"] = options.tag
    if options.limit != DEFAULT_LIMIT:
        data["data-limit"] = str(options.limit)
    if options.theme != "auto":
        data["data-theme"] = options.theme
    script_src = external_url("embed.get_headlines_script")
    args = {"limit": options.limit, "theme": options.theme}
    if options.tag:
        args["tag"] = options.tag
    frame = {
        "src": external_url("embed.show_headlines", country=query.country, **args),
        "title": "Headlines", "width": "100%", "height": str(min(120 + 56 * options.limit, 900)),
        "loading": "lazy",
    }
    return Snippets(
        script=f"<script{_attrs({'src': script_src, **data})} async></script>",
        iframe=f"<iframe{_attrs(frame)}></iframe>",
        ticker=f"<script{_attrs({'src': external_url('embed.get_rates_script')})} async></script>",
    )
