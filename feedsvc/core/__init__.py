"""Plumbing: database, models, HTTP helpers, caching, errors, auth and the facts every layer shares.

It knows no domain and no presentation: the domains (``articles``, ``rates``) and the presentations
(``api``, ``feeds``, ``web``, ``embed``) build on it, never the other way round.
"""
