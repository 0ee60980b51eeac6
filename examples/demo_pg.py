"""``make demo-pg``: a fresh PostgreSQL database and an admin role for the demo.

With the superuser login given (only for this set-up, as docs/storage.md says), drop what an
earlier demo left, create the database ``partyreg_demo`` and the role ``partyreg_demo_admin``
(LOGIN CREATEROLE, no superuser), and return the admin's URL. The demo then runs ``init`` and
``operator add`` with it and everything else with each operator's own login.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import make_url

from partyreg_plugins.sqlstore.pg import drop_store_roles

DATABASE = "partyreg_demo"
ADMIN = "partyreg_demo_admin"


def remove(superuser_url: str, database: str) -> None:
    """Drop a demo database, its store's roles and its admin role."""
    url = make_url(superuser_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    import sqlalchemy as sa

    engine = sa.create_engine(url.set(drivername="postgresql+psycopg"))
    with engine.begin() as conn:
        drop_store_roles(conn, database)
    engine.dispose()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP ROLE IF EXISTS "{database}_admin"')


def prepare(superuser_url: str, database: str = DATABASE) -> str:
    """Make the demo's database (``database``) and its admin role afresh; return the admin's
    URL."""
    remove(superuser_url, database)  # what an earlier demo left
    admin_role = f"{database}_admin"  # ADMIN for the default database
    url = make_url(superuser_url)
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{admin_role}" LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS')
        conn.execute(f'CREATE DATABASE "{database}"')
        conn.execute(f'GRANT CONNECT, CREATE ON DATABASE "{database}" TO "{admin_role}"')
    admin = url.set(drivername="postgresql", username=admin_role, password=None, database=database)
    return admin.render_as_string(hide_password=False)
