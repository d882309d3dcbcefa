"""PostgreSQL databases of the tests' own, beside the one the suite was given."""

from __future__ import annotations

from sqlalchemy import create_engine, make_url, text

from feedsvc.core.db import normalise_url


def beside(url: str, suffix: str) -> str:
    """The URL of PostgreSQL database ``<url's database>_<suffix>`` on the same server, created if missing."""
    base = make_url(url)
    name = f"{base.database}_{suffix}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}) is None:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
