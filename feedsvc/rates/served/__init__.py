"""What is served, kept materialised on write: ``rate_served`` (per date and currency, the first source by
priority no guard holds back), its X/USD lines as the formats show them, and per-month sums."""

from feedsvc.rates.served.table import (
    default_priority,
    ensure_served,
    not_held_back,
    recompute_all,
    recompute_days,
    recompute_range,
    render_all,
)

__all__ = ["default_priority", "ensure_served", "not_held_back", "recompute_all", "recompute_days",
           "recompute_range", "render_all"]
