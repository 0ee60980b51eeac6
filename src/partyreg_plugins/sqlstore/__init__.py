"""partyreg's SQL stores: SQLite (embedded) and PostgreSQL (server), one schema, one code path.

- :mod:`.schema` — the tables (SQLAlchemy Core);
- :mod:`.migrations` — Alembic versions, run by ``partyreg init`` (:mod:`.migrate`);
- :mod:`.store` — :class:`~.store.SqlStore`, the :class:`partyreg_core.ports.Store`;
- :mod:`.scoping` — operators' scopes as SQL conditions;
- :mod:`.pg` — PostgreSQL roles and row-level security;
- :mod:`.engine`, :mod:`.bulk` — connections, error translation, bulk inserts.

The entry-point modules :mod:`partyreg_plugins.storage_sqlite` and
:mod:`partyreg_plugins.storage_postgres` register the ``sqlite`` and ``postgresql`` schemes.
"""
