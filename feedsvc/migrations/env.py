"""Alembic environment: runs on the connection handed over by feedsvc.core.db.upgrade_database."""

from alembic import context

from feedsvc.core.models import Base, is_modelled

target_metadata = Base.metadata


def run_migrations() -> None:
    """Run migrations on the given connection (online mode only)."""
    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_name=is_modelled,
        render_as_batch=connection.dialect.name == "sqlite",
        # The connection's transaction covers DDL on SQLite too (core.db.transactional_ddl): the whole
        # upgrade commits or rolls back as one.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
