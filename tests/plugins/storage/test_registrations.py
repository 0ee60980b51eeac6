"""Writing registrations: one member per person, all or nothing, re-import changes nothing."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.batches import BatchKind
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError
from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.operators.model import Role
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import batch, make_district, registration


def test_new_members_are_written_with_every_field(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[1], rank="县处级", specialty="律师")
    result = store.write_registrations(city, batch(rows=1, on=date(2024, 8, 20)), [reg])
    assert (result.new, result.changed, result.unchanged, result.written) == (1, 0, 0, 1)
    assert result.committed
    [member] = store.members.list_members(city, MemberQuery(name=reg.name)).members
    assert member.registration == reg
    assert member.status is MemberStatus.REGISTERED
    assert member.community_id == d.communities[1].id  # resolved in the directory
    assert member.district_code == d.code
    assert member.registered_on == date(2024, 8, 20)
    assert member.batch_id == result.batch_id
    assert store.members.get_member(city, member.id) == member


def test_reimporting_the_same_rows_changes_nothing(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    regs = [registration(d.units[0], d.communities[0]) for _ in range(5)]
    store.write_registrations(city, batch(rows=5), regs)
    counts = {
        t: support.count_rows(store, t)
        for t in ("members", "claims", "audit_log", "import_batches")
    }
    again = store.write_registrations(city, batch(rows=5), regs)
    assert (again.new, again.changed, again.unchanged, again.written) == (0, 0, 5, 0)
    assert not again.committed
    assert {t: support.count_rows(store, t) for t in counts} == counts


def test_changed_fields_of_the_same_units_member_update_it_and_are_audited(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[0])
    store.write_registrations(city, batch(rows=1), [reg])
    changed = attrs.evolve(reg, posts=("5",), address="淮海路1号", unit_and_title="市民政局 科长")
    result = store.write_registrations(city, batch(rows=1), [changed])
    assert (result.new, result.changed, result.unchanged) == (0, 1, 0)
    [member] = store.members.list_members(city, MemberQuery(name=reg.name)).members
    assert member.registration == changed
    entry = next(e for e in store.audit(city, AuditQuery()) if e.batch_id == result.batch_id)
    assert entry.action == "import.registrations"
    [change] = entry.after["changed"]
    assert change["id"] == member.id
    assert change["before"] == {
        "unit_and_title": "市民政局 科员",
        "posts": ["3", "8"],
        "address": "北京路12号3栋201室",
    }
    assert change["after"]["posts"] == ["5"]


def test_the_same_person_registered_by_another_unit_is_a_conflict(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[0])
    store.write_registrations(city, batch(rows=1), [reg])
    other = attrs.evolve(reg, unit_code=d.units[1])
    result = store.write_registrations(city, batch(rows=1), [other])
    [rejection] = result.rejected
    assert rejection.code == "member.conflict" and str(d.units[0]) in rejection.message
    assert result.written == 0 and not result.committed
    members = store.members.list_members(city, MemberQuery(name=reg.name)).members
    assert [m.unit_code for m in members] == [d.units[0]]


def test_a_conflict_outside_the_scope_is_reported_without_naming_the_other_unit(
    store: SqlStore,
) -> None:
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    reg = registration(a.units[0], a.communities[0])
    store.write_registrations(city, batch(rows=1), [reg])
    unit_b = support.add_operator(store, Role.UNIT, b.units[0])
    before = support.count_rows(store, "members")
    result = store.write_registrations(
        unit_b, batch(rows=1), [attrs.evolve(reg, unit_code=b.units[0])]
    )
    [rejection] = result.rejected
    assert rejection.code == "member.conflict"
    assert str(a.units[0]) not in rejection.message and "其他单位" in rejection.message
    assert support.count_rows(store, "members") == before
    assert store.members.list_members(unit_b, MemberQuery()).total == 0


def test_an_import_with_a_refused_row_writes_nothing_unless_asked(store: SqlStore) -> None:
    a, b = make_district(store), make_district(store)
    unit_a = support.add_operator(store, Role.UNIT, a.units[0])
    good = [registration(a.units[0], a.communities[0]) for _ in range(3)]
    outside = registration(b.units[0], b.communities[0])
    regs = [good[0], outside, good[1], good[2]]
    before = support.count_rows(store, "members")
    result = store.write_registrations(unit_a, batch(rows=4), regs)
    assert [(r.index, r.code) for r in result.rejected] == [(1, "scope.denied")]
    assert str(b.units[0]) in result.rejected[0].message  # the row's own value, nothing more
    assert result.new == 3 and result.written == 0 and not result.committed
    assert support.count_rows(store, "members") == before
    written = store.write_registrations(unit_a, batch(rows=4), regs, skip_rejected=True)
    assert written.written == 3 and written.committed
    assert support.count_rows(store, "members") == before + 3


def test_a_dry_run_says_what_would_happen_and_writes_nothing(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[0])
    store.write_registrations(city, batch(rows=1), [reg])
    regs = [attrs.evolve(reg, rank="县处级"), registration(d.units[0], d.communities[0])]
    before = {t: support.count_rows(store, t) for t in ("members", "audit_log", "import_batches")}
    result = store.write_registrations(city, batch(rows=2), regs, dry_run=True)
    assert (result.new, result.changed, result.unchanged, result.written) == (1, 1, 0, 0)
    assert result.dry_run and not result.committed
    assert {t: support.count_rows(store, t) for t in before} == before


def test_a_person_twice_in_one_batch_is_refused_naming_the_earlier_row(store: SqlStore) -> None:
    d = make_district(store)
    reg = registration(d.units[0], d.communities[0])
    result = store.write_registrations(support.city(store), batch(rows=2), [reg, reg])
    assert [(r.index, r.code) for r in result.rejected] == [(1, "member.duplicate_row")]
    assert "第 1 条" in result.rejected[0].message


def test_an_unknown_unit_code_is_refused(store: SqlStore) -> None:
    d = make_district(store)
    reg = registration(OrgCode(("008", "999", "999")), d.communities[0])
    result = store.write_registrations(support.city(store), batch(rows=1), [reg])
    assert [r.code for r in result.rejected] == ["code.unknown"]


def test_an_unresolved_community_is_kept_as_written(store: SqlStore) -> None:
    d = make_district(store)
    ref = CommunityRef(d.short_name, "无名街道", "无名社区")
    reg = registration(d.units[0], ref)
    support.register(store, support.city(store), [reg])
    [member] = store.members.list_members(support.city(store), MemberQuery(name=reg.name)).members
    assert member.community == ref and member.community_id is None
    assert member.district_code == d.code  # the district is known even so
    found = store.members.list_members(support.city(store), MemberQuery(community=ref))
    assert [m.id for m in found.members] == [member.id]


def test_a_changed_community_of_a_routed_member_becomes_a_change_request(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[0])
    [member_id] = support.register(store, city, [reg])
    support.route(store, [member_id], d, 0)
    moved = attrs.evolve(reg, community=d.communities[1].ref, posts=("1",))
    result = store.write_registrations(city, batch(rows=1), [moved])
    assert result.change_requests == 1 and result.changed == 1
    member = store.members.get_member(city, member_id)
    assert member.community_id == d.communities[0].id  # not moved until approved
    assert member.posts == ("1",)
    assert support.count_rows(store, "change_requests") >= 1


def test_members_are_listed_in_pages_and_streamed_completely(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    regs = [registration(d.units[i % 2], d.communities[0]) for i in range(7)]
    support.register(store, city, regs)
    query = MemberQuery(unit=d.code, limit=3)
    first = store.members.list_members(city, query)
    second = store.members.list_members(city, attrs.evolve(query, offset=3))
    assert first.total == second.total == 7
    assert len(first.members) == 3 and len(second.members) == 3
    streamed = list(store.members.iter_members(city, MemberQuery(unit=d.code)))
    assert len(streamed) == 7
    assert [m.id for m in streamed[:6]] == [m.id for m in first.members + second.members]
    assert [m.unit_code for m in streamed] == sorted(m.unit_code for m in streamed)
    only = store.members.list_members(city, MemberQuery(unit=d.units[1]))
    assert {m.unit_code for m in only.members} == {d.units[1]}


def test_edit_and_remove_a_member(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    reg = registration(d.units[0], d.communities[0])
    [member_id] = support.register(store, city, [reg])
    updated = store.members.update_member(city, member_id, attrs.evolve(reg, phone="13700001111"))
    assert updated.phone == "13700001111"
    edits = [
        e
        for e in store.audit(city, AuditQuery(action="member.edit"))
        if e.subject == f"member:{member_id}"
    ]
    assert edits[-1].before == {"phone": reg.phone} and edits[-1].after == {"phone": "13700001111"}
    removed = store.members.remove_member(city, member_id, "误登记")
    assert removed.id == member_id
    with pytest.raises(NotFoundError):
        store.members.get_member(city, member_id)


def test_a_member_with_a_route_cannot_be_removed(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    [member_id] = support.register(store, city, [registration(d.units[0], d.communities[0])])
    support.route(store, [member_id], d)
    with pytest.raises(ConflictError, match="分流记录"):
        store.members.remove_member(city, member_id, "误登记")


def test_an_edit_that_makes_two_people_one_is_refused(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    a, b = registration(d.units[0], d.communities[0]), registration(d.units[0], d.communities[0])
    first, _second = support.register(store, city, [a, b])
    with pytest.raises(ConflictError):
        store.members.update_member(city, first, attrs.evolve(a, name=b.name, phone=b.phone))


def test_members_outside_the_scope_are_not_found_and_not_editable(store: SqlStore) -> None:
    a, b = make_district(store), make_district(store)
    city = support.city(store)
    reg = registration(a.units[0], a.communities[0])
    [member_id] = support.register(store, city, [reg])
    outsider = support.add_operator(store, Role.DISTRICT, b.code)
    with pytest.raises(NotFoundError):
        store.members.get_member(outsider, member_id)
    with pytest.raises(NotFoundError):
        store.members.update_member(outsider, member_id, reg)
    community = support.add_operator(store, Role.COMMUNITY, communities=[a.communities[0].id])
    with pytest.raises(NotFoundError):  # not routed there yet
        store.members.get_member(community, member_id)
    support.route(store, [member_id], a)
    assert store.members.get_member(community, member_id).id == member_id  # routed there: visible
    with pytest.raises(NotPermittedError):  # but communities do not change registrations
        store.members.update_member(community, member_id, attrs.evolve(reg, rank="县处级"))


def test_batches_are_listed_for_their_operators(store: SqlStore) -> None:
    d = make_district(store)
    unit = support.add_operator(store, Role.UNIT, d.units[0])
    result = store.write_registrations(
        unit, batch(rows=1), [registration(d.units[0], d.communities[0])]
    )
    mine = store.batches(unit)
    assert [b.id for b in mine] == [result.batch_id]
    assert mine[0].kind is BatchKind.REGISTRATIONS and mine[0].written == 1
    other = support.add_operator(store, Role.UNIT, d.units[1])
    assert store.batches(other) == []


def test_a_stream_is_written_in_chunks_as_one_batch(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from partyreg_plugins.sqlstore import store as store_module

    monkeypatch.setattr(store_module, "REGISTRATION_CHUNK", 2)
    d = make_district(store)
    city = support.city(store)
    known = registration(d.units[0], d.communities[0])
    store.write_registrations(city, batch(rows=1), [known])
    fresh = [registration(d.units[0], d.communities[1]) for _ in range(4)]
    regs = [fresh[0], attrs.evolve(known, rank="县处级"), fresh[1], fresh[2], fresh[0], fresh[3]]
    decided: list[bool] = []

    def commit_if() -> bool:
        decided.append(True)
        return True

    before = {t: support.count_rows(store, t) for t in ("members", "claims", "import_batches")}
    result = store.write_registrations(
        city, batch(rows=0), iter(regs), dry_run=True, commit_if=commit_if
    )
    assert (result.new, result.changed, result.unchanged, result.rows) == (4, 1, 0, 6)
    assert [(r.index, r.code) for r in result.rejected] == [(4, "member.duplicate_row")]
    assert "第 1 条" in result.rejected[0].message
    assert result.dry_run and not result.committed
    assert {t: support.count_rows(store, t) for t in before} == before

    held = store.write_registrations(
        city, batch(rows=0), iter(regs), skip_rejected=True, commit_if=lambda: False
    )
    assert held.dry_run and not held.committed and held.new == 4
    assert {t: support.count_rows(store, t) for t in before} == before

    result = store.write_registrations(
        city,
        batch(rows=0),
        iter(regs),
        skip_rejected=True,
        commit_if=commit_if,
        batch_rows=lambda: 9,
    )
    assert result.committed and (result.new, result.changed, result.written) == (4, 1, 5)
    assert decided == [True, True]  # once per write, after the rows ran out
    assert {r.name for r in fresh} <= {
        m.name for m in store.members.list_members(city, MemberQuery()).members
    }
    query = AuditQuery(action="import.registrations", newest_first=True, limit=1)
    [entry] = store.audit(city, query)
    assert len(entry.after["new"]) == 4 and entry.after["rows"] == 6
    assert entry.after["new"] == sorted(entry.after["new"])
    [latest, *_] = store.batches(city)
    assert (latest.id, latest.rows, latest.written) == (result.batch_id, 9, 5)
    assert support.count_rows(store, "claims") == before["claims"] + sum(
        len(set(r.posts)) for r in fresh
    )


def test_people_sharing_a_phone_are_not_duplicates_but_repeats_of_them_are(
    store: SqlStore,
) -> None:
    d = make_district(store)
    a = registration(d.units[0], d.communities[0])
    b = registration(d.units[0], d.communities[0], who=("另一人", a.phone))
    result = store.write_registrations(support.city(store), batch(rows=4), [a, b, b, a])
    assert [(r.index, r.code) for r in result.rejected] == [
        (2, "member.duplicate_row"),
        (3, "member.duplicate_row"),
    ]
    assert ["第 2 条" in r.message for r in result.rejected] == [True, False]
    assert "第 1 条" in result.rejected[1].message


@pytest.mark.parametrize("chunk", [1, 2, 3, 100])
def test_repeats_are_found_across_chunks_for_new_stored_and_conflicting_persons(
    store: SqlStore, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    from partyreg_plugins.sqlstore import store as store_module

    monkeypatch.setattr(store_module, "REGISTRATION_CHUNK", chunk)
    d = make_district(store)
    city = support.city(store)
    stored = registration(d.units[0], d.communities[0])
    elsewhere = registration(d.units[1], d.communities[0])
    store.write_registrations(city, batch(rows=2), [stored, elsewhere])
    fresh = registration(d.units[0], d.communities[1])
    changed = attrs.evolve(stored, rank="县处级")
    conflict = attrs.evolve(elsewhere, unit_code=d.units[0])
    regs = [fresh, changed, conflict, fresh, stored, conflict, changed, fresh]
    result = store.write_registrations(city, batch(rows=8), regs, skip_rejected=True)
    # each repeat names the first row of its person, whatever chunk either fell in
    assert [(r.index, r.code) for r in result.rejected] == [
        (2, "member.conflict"),
        (3, "member.duplicate_row"),
        (4, "member.duplicate_row"),
        (5, "member.duplicate_row"),
        (6, "member.duplicate_row"),
        (7, "member.duplicate_row"),
    ]
    assert [r.message.split("条")[0] for r in result.rejected[1:]] == [
        "与第 1 ",
        "与第 2 ",
        "与第 3 ",
        "与第 2 ",
        "与第 1 ",
    ]
    assert (result.new, result.changed, result.written) == (1, 1, 2)
