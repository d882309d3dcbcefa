"""Facts the write side (ingest) and the read side (queries, routes) of the rates share."""

USD = "USD"  # every observation is units of a currency per 1 USD, so USD itself is never stored
HELD_BACK = "disagree"  # RateAnomaly.reason of an observation that is stored but never served
MIN_DIGITS = 6  # a served rate shows at least this many significant digits
