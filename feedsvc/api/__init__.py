"""The JSON API under /api (a presentation of the articles domain)."""
