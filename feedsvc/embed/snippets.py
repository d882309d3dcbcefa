"""The paste-ready snippets the builder shows, built on FEEDSVC_PUBLIC_URL."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import escape

from feedsvc.embed.params import DEFAULT_LIMIT, BuilderQuery
from feedsvc.urls import external_url

# Iframes cannot size themselves to their content: a height that fits `limit` one-line headlines.
ROW_HEIGHT, FRAME_CHROME, MAX_FRAME = 56, 120, 900


@dataclass(frozen=True)
class Snippets:
    """HTML to paste: the headlines as script and iframe, the rates ticker as script and iframe."""

    script: str
    iframe: str
    ticker: str
    ticker_iframe: str


def _attrs(values: dict[str, str]) -> str:
    return "".join(f' {name}="{escape(value)}"' for name, value in values.items())


def _script(src: str, data: dict[str, str]) -> str:
    return f"<script{_attrs({'src': src, **data})} async></script>"


def _iframe(src: str, title: str, height: int) -> str:
    attrs = {"src": src, "title": title, "width": "100%", "height": str(height), "loading": "lazy"}
    return f"<iframe{_attrs(attrs)}></iframe>"


def make_snippets(query: BuilderQuery) -> Snippets:
    """The snippets for the builder's current choices (defaults left out to keep them short)."""
    options = query.options
    theme = {"data-theme": options.theme} if options.theme != "auto" else {}
    data = {"data-country": query.country}
    if options.tag:
        data["data-tag"] = options.tag
    if options.limit != DEFAULT_LIMIT:
        data["data-limit"] = str(options.limit)
    args = {"limit": options.limit, "theme": options.theme}
    if options.tag:
        args["tag"] = options.tag
    height = min(FRAME_CHROME + ROW_HEIGHT * options.limit, MAX_FRAME)
    return Snippets(
        script=_script(external_url("embed.get_headlines_script"), {**data, **theme}),
        iframe=_iframe(external_url("embed.show_headlines_frame", country=query.country, **args), "Headlines",
                       height),
        ticker=_script(external_url("embed.get_rates_script"), theme),
        ticker_iframe=_iframe(external_url("embed.show_rates_frame", theme=options.theme), "Exchange rates",
                              80),
    )
