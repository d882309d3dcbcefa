"""Facts the write side (ingest, guards) and the read side (queries, routes) of the rates share."""

USD = "USD"  # the served series is units of each currency per 1 USD, read from the tables' USD lines

# RateAnomaly.reason: why a guard looked at a value.
JUMP = "jump"  # moved more than the limit since the same source's previous observation
HELD_BACK = "disagree"  # differs from the reference source's value
GAP = "gap"  # moved more than the limit, but the previous observation was too old to be a reference
MANUAL = "manual"  # refused by hand
MALFORMED = "malformed"  # a line of a table that could not be read (no value): refused for its currency alone

# RateAnomaly.status: ``refused`` and ``held`` keep exactly that value from being served.
REFUSED = "refused"
HELD = "held"
CONFIRMED = "confirmed"  # a refused jump the source's next observation or another source confirmed
ACCEPTED = "accepted"  # accepted by hand, or a ``gap`` value accepted without a reference
RELEASED = "released"  # a held-back value the reference source came to agree with
BLOCKING = (REFUSED, HELD)
ANOMALY_STATUSES = (REFUSED, HELD, CONFIRMED, ACCEPTED, RELEASED)
AUTO = "feedsvc"  # RateAnomaly.decided_by of a decision the rules took; anything else is a person
