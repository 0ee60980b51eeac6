"""The migrations form one line, and each file's header says what it really revises.

Several branches add migrations at once; a second head would make ``alembic upgrade head``
refuse, and a wrong "Revises:" header misleads whoever reads the file.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import partyreg_plugins.sqlstore as sqlstore

VERSIONS = Path(sqlstore.__file__).parent / "migrations" / "versions"


def _migrations() -> dict[str, tuple[str | None, str, Path]]:
    found: dict[str, tuple[str | None, str, Path]] = {}
    for path in sorted(VERSIONS.glob("[0-9]*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        values: dict[str, object] = {}
        for node in tree.body:
            if (
                isinstance(node, ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id in ("revision", "down_revision")
                and node.value is not None
            ):
                values[node.target.id] = ast.literal_eval(node.value)
        revision = values["revision"]
        down = values["down_revision"]
        assert isinstance(revision, str), path.name
        assert down is None or isinstance(down, str), path.name
        found[revision] = (down, ast.get_docstring(tree) or "", path)
    return found


def test_one_linear_chain_from_the_first_migration() -> None:
    migrations = _migrations()
    roots = [rev for rev, (down, _, _) in migrations.items() if down is None]
    assert roots == ["0001"]
    children: dict[str, list[str]] = {}
    for rev, (down, _, _) in migrations.items():
        if down is not None:
            assert down in migrations, f"{rev} revises {down}, which does not exist"
            children.setdefault(down, []).append(rev)
    forks = {parent: kids for parent, kids in children.items() if len(kids) > 1}
    assert not forks, f"more than one migration revises the same parent: {forks}"
    seen, current = ["0001"], "0001"
    while current in children:
        current = children[current][0]
        seen.append(current)
    assert sorted(seen) == sorted(migrations), "some migrations are not on the chain"


def test_each_header_names_its_id_and_parent() -> None:
    for rev, (down, doc, path) in _migrations().items():
        ident = re.search(r"^Revision ID: (\S+)$", doc, re.M)
        revises = re.search(r"^Revises: (\S+)", doc, re.M)
        assert ident and ident.group(1) == rev, path.name
        assert revises, path.name
        assert revises.group(1) == (down or "(none)"), (
            f"{path.name}: header says Revises: {revises.group(1)}, code says {down}"
        )
        assert path.name.startswith(f"{rev}_"), path.name


def test_the_cheap_version_check_agrees_with_alembic(store_url: str, tmp_path: Path) -> None:
    """Opening a store reads the versions without Alembic (decision 0161): the same answers,
    on an initialised store of each backend and on an empty database."""
    import sqlalchemy as sa
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from partyreg_plugins.sqlstore import migrate

    scripts = ScriptDirectory.from_config(migrate._config())
    assert migrate.head() == scripts.get_current_head()
    assert migrate.revisions() == {s.revision: s.down_revision for s in scripts.walk_revisions()}
    assert not migrate.known("9999") and migrate.known("0001")
    from partyreg_plugins.sqlstore.store import SqlStore

    store = SqlStore(store_url)  # its engine, with the connection settings the store makes
    empty = sa.create_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        for engine, expected in ((store.engine, migrate.head()), (empty, None)):
            with engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_revision() == expected
                assert migrate.current(conn) == expected
    finally:
        store.close()
        empty.dispose()
