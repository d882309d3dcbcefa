"""The scripts other sites load from /embed/v1/: each widget's own file with the part they share inserted.

Every widget must stay one file a host page loads alone, so the shared helpers and start-up
(widgets/common.js) are written once and put in place of a widget's include line when first served.
"""

from __future__ import annotations

import functools
from pathlib import Path

WIDGETS = Path(__file__).parent / "widgets"
INCLUDE = "  /* include common.js */\n"


@functools.cache
def script_source(name: str) -> str:
    """The script served as /embed/v1/``name``: its file, with common.js in place of its include line."""
    text = (WIDGETS / name).read_text(encoding="utf-8")
    if INCLUDE not in text:
        return text
    return text.replace(INCLUDE, (WIDGETS / "common.js").read_text(encoding="utf-8"))
