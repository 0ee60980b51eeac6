"""Members by the post they claimed (``MemberQuery.post``), a member's audit entries
(``AuditQuery.subject``), and the audit log's index on subject that revision 0003 adds to an
existing store — on every backend."""

from __future__ import annotations

import attrs
import pytest
import sqlalchemy as sa
from alembic import command

from partyreg_core import builtin
from partyreg_core.audit import AuditQuery
from partyreg_core.members.model import MemberQuery
from partyreg_plugins.sqlstore import migrate
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, register, registration


def test_members_are_found_by_a_post_they_claimed(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    three_eight = registration(d.units[0], d.communities[0], posts=("3", "8"))
    one = registration(d.units[0], d.communities[0], posts=("1",))
    eight = registration(d.units[1], d.communities[1], posts=("8",))
    register(store, city, [three_eight, one, eight])

    def names(post: str, **more: object) -> list[str]:
        query = attrs.evolve(MemberQuery(unit=d.code, post=post), **more)
        page = store.members.list_members(city, query)
        assert page.total == len(page.members)
        return sorted(m.name for m in page.members)

    assert names("8") == sorted([three_eight.name, eight.name])
    assert names("3") == [three_eight.name]
    assert names("1") == [one.name]
    assert names("15") == []
    assert names("8", unit=d.units[1]) == [eight.name]  # combined with the other filters
    assert names("8", text=three_eight.name) == [three_eight.name]
    # a post claimed once counts a member once, however many posts they claimed
    counted = store.members.count_members(city, MemberQuery(unit=d.code, post="8"), 2)
    assert sum(c.count for c in counted) == 2


def test_a_members_audit_entries_by_subject(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[0])
    other = registration(d.units[0], d.communities[0])
    member_id, other_id = register(store, city, [reg, other])
    store.members.update_member(city, member_id, attrs.evolve(reg, specialty="摄影"))
    store.members.update_member(city, other_id, attrs.evolve(other, specialty="书法"))
    store.members.update_member(city, member_id, attrs.evolve(reg, specialty="法律"))
    subject = f"member:{member_id}"
    entries = list(store.audit(city, AuditQuery(subject=subject, newest_first=True)))
    assert [e.action for e in entries] == ["member.edit", "member.edit"]
    assert {e.subject for e in entries} == {subject}
    assert entries[0].before == {"specialty": "摄影"} and entries[0].after == {"specialty": "法律"}
    assert entries[1].before == {"specialty": "医生"} and entries[1].after == {"specialty": "摄影"}
    assert list(store.audit(city, AuditQuery(subject=f"member:{member_id}0"))) == []


def _audit_indexes(store: SqlStore) -> set[str]:
    with store.engine.connect() as conn:
        return {str(i["name"]) for i in sa.inspect(conn).get_indexes("audit_log")}


def _downgrade(store: SqlStore, revision: str) -> None:
    """Take ``store`` back to ``revision`` with the migrations' own downgrades (as the owner
    of the tables on PostgreSQL, as ``init`` upgrades)."""

    with store.engine.connect() as conn, conn.begin():
        roles = store._roles
        if roles is not None:
            from partyreg_plugins.sqlstore import pg

            pg.set_role(conn, roles, roles.owner)
        command.downgrade(migrate._config(conn), revision)


def test_init_upgrades_a_store_without_the_subject_index(backend: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    if backend == "sqlite":
        url, name = f"sqlite:///{tmp_path / 'old.db'}", None
    else:
        name = support.create_pg_database()
        url = support.pg_url(name)
    try:
        store = SqlStore(url)
        support.init_store(store)
        _downgrade(store, "0002")  # the store as revision 0002 left it
        assert "ix_audit_log_subject" not in _audit_indexes(store)
        store.close()

        store = SqlStore(url)
        report = store.initialise(
            os_user=support.OS_USER, org_tree=builtin.code_table(), posts=builtin.city_posts()
        )
        assert (report.schema_before, report.schema_after) == ("0002", migrate.head())
        assert "ix_audit_log_subject" in _audit_indexes(store)
        # still append-only: the table was not rebuilt
        with support.raw_sql(store) as conn, pytest.raises(Exception, match="append-only"):
            conn.execute("DELETE FROM audit_log")
        store.close()
    finally:
        if name is not None:
            support.drop_pg_database(name)
