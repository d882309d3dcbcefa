"""The paste-ready snippets the builder shows, built on FEEDSVC_PUBLIC_URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import escape

from feedsvc.core.countries import ALL, find_country, tracked_currencies
from feedsvc.core.urls import external_url
from feedsvc.embed.layout import (
    headlines_height,
    headlines_widget_height,
    ticker_height,
    ticker_widget_height,
)
from feedsvc.embed.params import DEFAULT_LIMIT, ORIENTATIONS, BuilderQuery, TickerChoice
from feedsvc.rates import Pair, default_pairs, offered_pairs


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


def _widget(src: str, data: dict[str, str], height: int) -> str:
    # The script runs after the host page is painted: this box holds its place so nothing below moves.
    return f'<div style="display:flow-root;min-height:{height}px">{_script(src, data)}</div>'


def iframe_snippet(src: str, title: str, height: int) -> str:
    """An iframe of exactly the height its page will have, plus the loader that keeps it fitting."""
    # frameborder: the border stays off where a host's CSP ignores the inline style (and says so)
    attrs = {"src": src, "title": title, "width": "100%", "height": str(height), "style": "border:0",
             "frameborder": "0", "loading": "lazy"}
    return f"<iframe{_attrs(attrs)}></iframe>\n" + _script(external_url("embed.get_frame_script"), {})


def ticker_frame_url(pairs: tuple[Pair, ...], theme: str, url: Callable[..., str]) -> str:
    """The rates iframe's URL for ``pairs`` (none: the default ticker), by ``url`` (url_for or external)."""
    return url("embed.show_rates_frame", pairs=",".join(map(str, pairs)) or None, theme=theme)


def ticker_pairs(choice: TickerChoice) -> tuple[Pair, ...]:
    """The pairs of the builder's ticker: () for the default ticker (no ``data-pairs``)."""
    if choice.country is None:
        return ()
    country = None if choice.country == ALL else find_country(choice.country)
    return offered_pairs(country.currency if country else None, choice.orientation == ORIENTATIONS[0])


def ticker_rows(pairs: tuple[Pair, ...]) -> int:
    """How many lines a ticker of ``pairs`` shows (() is the default ticker)."""
    return len(pairs or default_pairs(tracked_currencies()))


def make_snippets(query: BuilderQuery) -> Snippets:
    """The snippets for the builder's current choices (defaults left out to keep them short)."""
    options = query.options
    theme = {"data-theme": options.theme} if options.theme != "auto" else {}
    data = {"data-country": query.country}
    if options.tag:
        data["data-tag"] = options.tag
    if options.limit != DEFAULT_LIMIT:
        data["data-limit"] = str(options.limit)
    frame = external_url("embed.show_headlines_frame", country=query.country, limit=options.limit,
                         theme=options.theme, tag=options.tag)
    pairs = ticker_pairs(query.ticker)
    chosen = {"data-pairs": ",".join(map(str, pairs))} if pairs else {}
    return Snippets(
        script=_widget(external_url("embed.get_headlines_script"), {**data, **theme},
                       headlines_widget_height(options.limit)),
        iframe=iframe_snippet(frame, "Headlines", headlines_height(options.limit)),
        ticker=_widget(external_url("embed.get_rates_script"), {**chosen, **theme},
                       ticker_widget_height(ticker_rows(pairs))),
        ticker_iframe=iframe_snippet(ticker_frame_url(pairs, options.theme, external_url), "Exchange rates",
                                     ticker_height(ticker_rows(pairs))),
    )
