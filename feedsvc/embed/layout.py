"""Pixel sizes the iframe pages are laid out in, so a snippet can reserve their height exactly."""

from __future__ import annotations

# Kept in step with static/embed.css: rows have a fixed height (titles clamped to two lines), so the
# height of a page is known before it loads and the host page does not jump (docs/architecture.md).
FRAME_PADDING = 24  # body padding, top + bottom
HEADLINE_ROW = 71  # 1 border + 2 x 5 padding + 2 x 20 title lines + 4 gap + 16 date line
TICKER_ROW = 26  # one pair per line: 20 line + 6 gap
SOURCES_ROW = 22  # the line crediting the rates' sources: 6 gap + 16 line
FRAME_WIDTH = 600  # the width an oEmbed answer proposes when the consumer sets none
WIDGET_MARGIN = 12  # below a script widget
MAX_FRAME = 1000  # WordPress clamps an embed's height to 200-1000 px
# An article card: a 160 x 90 picture beside kicker 16 + title 2 x 20 + summary 2 x 18 + date 16 and three
# 4 px gaps. Below 420 px wide the picture goes on top and the frame reports its taller height.
CARD_HEIGHT = FRAME_PADDING + 120


def headlines_height(limit: int) -> int:
    """The height of /embed/<country> with ``limit`` headlines."""
    return FRAME_PADDING + HEADLINE_ROW * limit


def ticker_height(pairs: int) -> int:
    """The height of /embed/rates with ``pairs`` pairs (one per line)."""
    return FRAME_PADDING + TICKER_ROW * pairs - 6 + SOURCES_ROW


def headlines_widget_height(limit: int) -> int:
    """The height headlines.js takes with ``limit`` headlines and default options (dates, no summaries)."""
    return 54 + HEADLINE_ROW * limit + WIDGET_MARGIN  # border 2, padding 24, heading 28


def ticker_widget_height(pairs: int) -> int:
    """The height rates.js takes with ``pairs`` pairs (one per line)."""
    return 14 + TICKER_ROW * pairs - 6 + SOURCES_ROW + WIDGET_MARGIN  # border 2, padding 12


def fitting_limit(limit: int, max_height: int | None) -> int:
    """``limit``, lowered (to 1 at least) until the headlines fit in ``max_height``."""
    if max_height is None:
        return limit
    return max(1, min(limit, (max_height - FRAME_PADDING) // HEADLINE_ROW))
