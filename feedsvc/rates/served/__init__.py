"""What is served, kept materialised on write: ``rate_served`` (per date and currency, the first source by
priority no guard holds back), its X/USD lines as the formats show them, per-month sums, and every
published pair's day rows as /rates.csv shows them."""

from feedsvc.rates.served.pair_lines import mark_lines, refresh_lines, refresh_pending
from feedsvc.rates.served.table import (
    default_priority,
    ensure_served,
    not_held_back,
    recompute_all,
    recompute_days,
    recompute_range,
    render_all,
    usd_lines,
)

__all__ = ["default_priority", "ensure_served", "not_held_back", "recompute_all", "recompute_days",
           "recompute_range", "mark_lines", "refresh_lines", "refresh_pending", "render_all", "usd_lines"]
