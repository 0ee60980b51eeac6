"""Running the Alembic migrations programmatically, on a connection partyreg has opened.

Every command checks the store's schema version when it opens the store; only ``partyreg
init`` migrates. The check reads the version files' ``revision``/``down_revision`` lines and
the ``alembic_version`` table itself, so a daily command does not import Alembic (and Mako,
and every migration script) to learn two strings (decision 0161); a test keeps these answers
equal to Alembic's own.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"

_REVISION = re.compile(r"^revision(?:\s*:[^=\n]*)?\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision(?:\s*:[^=\n]*)?\s*=\s*(?:None|['\"]([^'\"]+)['\"])", re.M)


def _config(connection: sa.Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def revisions() -> dict[str, str | None]:
    """Every schema version this partyreg knows → the version it revises (``None``: the first),
    read from the version files."""
    found: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        text = path.read_text("utf-8")
        revision, down = _REVISION.search(text), _DOWN.search(text)
        if revision is None or down is None:
            raise RuntimeError(f"migration {path.name} names no revision/down_revision")
        found[revision.group(1)] = down.group(1)
    return found


def head() -> str:
    """The newest schema version this partyreg knows."""
    known_ = revisions()
    heads = set(known_) - {down for down in known_.values() if down is not None}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def known(revision: str) -> bool:
    """Whether ``revision`` is one of this partyreg's schema versions."""
    return revision in revisions()


def current(connection: sa.Connection) -> str | None:
    """The schema version of the store behind ``connection`` (``None``: no schema yet)."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    versions = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    found = list(versions)
    if len(found) > 1:
        raise RuntimeError(f"the store has {len(found)} schema versions: {found}")
    return found[0] if found else None


def upgrade(connection: sa.Connection) -> None:
    """Upgrade the store to :func:`head` inside the connection's open transaction."""
    from alembic import command

    command.upgrade(_config(connection), "head")
