"""Ingest: the jobs that fetch, then validate, guard, cross-check and store each source's observations."""
