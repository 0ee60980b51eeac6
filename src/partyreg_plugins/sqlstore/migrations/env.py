"""Alembic environment for partyreg stores.

partyreg runs migrations programmatically (``partyreg init``) on a connection it has already
opened inside a transaction (see :mod:`partyreg_plugins.sqlstore.migrate`); the whole upgrade —
schema, row-level security, the code table — commits or rolls back as one. For developers:
``alembic -c src/partyreg_plugins/sqlstore/alembic.ini revision -m "…"`` writes a new version
file next to the others (autogenerate compares with ``schema.metadata``).
"""

from __future__ import annotations

from alembic import context

from partyreg_plugins.sqlstore.schema import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is None:  # the alembic command line: an engine from the ini's sqlalchemy.url
    import sqlalchemy as sa

    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        context.configure(
            connection=conn,
            target_metadata=metadata,
            render_as_batch=conn.dialect.name == "sqlite",
        )
        context.run_migrations()
else:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
