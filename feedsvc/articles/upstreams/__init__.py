"""Upstreams: a WordPress site or any feed kept in step with the article store, on the schedule.

``registry`` (upstreams as data), ``wordpress`` and ``feed`` (URLs and pure parsing), ``entries`` (a post
mapped to countries and to an article), ``write`` (a page through the import's idempotent upsert),
``pull`` (what a sync asks), ``sync`` (lease, run record, budget), ``runs``, ``websub`` (the subscriber),
``schedule`` (what is due), ``cli``. The article domain's ``__init__`` exports what presentations use.
"""
