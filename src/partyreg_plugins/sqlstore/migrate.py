"""Running the Alembic migrations programmatically, on a connection partyreg has opened."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: sa.Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head() -> str:
    """The newest schema version this partyreg knows."""
    revision = _scripts().get_current_head()
    assert revision is not None
    return revision


def known(revision: str) -> bool:
    """Whether ``revision`` is one of this partyreg's schema versions."""
    return any(s.revision == revision for s in _scripts().walk_revisions())


def current(connection: sa.Connection) -> str | None:
    """The schema version of the store behind ``connection`` (``None``: no schema yet)."""
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(connection: sa.Connection) -> None:
    """Upgrade the store to :func:`head` inside the connection's open transaction."""
    command.upgrade(_config(connection), "head")
