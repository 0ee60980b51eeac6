"""Org changes with effective dates and the member lifecycle in the store — on every backend.

Each test works on districts of its own (fresh codes under 008), so the PostgreSQL store shared
by the session is not disturbed.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.feedback.model import SummaryBy
from partyreg_core.hours import RollupKey
from partyreg_core.members.model import MemberQuery
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgchanges import ChangeKind, OrgChange
from partyreg_core.orgcodes import OrgCode, OrgKind
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, registration

TODAY = date(2024, 12, 31)
REG_DAY = date(2024, 9, 1)
CHANGE_DAY = date(2024, 10, 1)


def _register_on(store: SqlStore, regs: list, day: date = REG_DAY) -> list[int]:  # type: ignore[type-arg]
    city = support.city(store)
    result = store.write_registrations(city, support.batch(rows=len(regs), on=day), regs)
    assert not result.rejected and result.new == len(regs)
    ids = []
    for reg in regs:
        page = store.members.list_members(city, MemberQuery(name=reg.name, phone=reg.phone))
        ids.append(page.members[0].id)
    return ids


def _counts(store: SqlStore, day: date, under: OrgCode, depth: int) -> dict[str, int]:
    found: Counter[str] = Counter()
    for c in store.members.count_members_on(support.city(store), day, depth, under):
        found[str(c.unit)] += c.count
    return dict(found)


def test_a_merge_carries_units_members_routes_and_communities(store: SqlStore) -> None:
    city = support.city(store)
    a, b = make_district(store), make_district(store, communities=0)
    # members: in a's units, directly at a, and in b's unit; some routed to a's community
    regs_a = [registration(a.units[i % 2], a.communities[0]) for i in range(5)]
    at_a = [registration(a.code, a.communities[1])]
    regs_b = [registration(b.units[0], a.communities[0]) for _ in range(3)]
    ids_a = _register_on(store, regs_a + at_a)
    ids_b = _register_on(store, regs_b)
    support.route(store, ids_a[:2], a, 0)
    first = (regs_a[0].name, regs_a[0].phone)
    store.write_activities(city, support.batch(on=TODAY), [support.activity(first, REG_DAY)])
    tree = store.load_org_tree()
    target_code = tree.next_child(support.CITY)
    plan = store.apply_org_changes(
        city,
        [
            OrgChange(
                ChangeKind.ADD,
                CHANGE_DAY,
                "设立新区",
                to="008",
                name=f"新区{target_code}委",
                org_kind=OrgKind.DISTRICT,
            ),
            OrgChange(
                ChangeKind.MERGE, CHANGE_DAY, "并入新区", unit=str(a.code), to=str(target_code)
            ),
            OrgChange(
                ChangeKind.MERGE, CHANGE_DAY, "并入新区", unit=str(b.code), to=str(target_code)
            ),
        ],
        today=TODAY,
    )
    new_code = plan.changes[0].code
    assert new_code == target_code
    tree = store.load_org_tree()
    # old codes retired, pointing at their new codes; children numbered under the target in
    # order: a's two units, then b's two
    assert tree.get(a.code).retired_on == CHANGE_DAY and tree.get(a.code).moved_to == new_code
    expected = {a.units[0]: new_code.child(1), a.units[1]: new_code.child(2),
                b.units[0]: new_code.child(3), b.units[1]: new_code.child(4)}  # fmt: skip
    for old, new in expected.items():
        assert tree.get(old).moved_to == new
        assert tree.get(new).valid_from == CHANGE_DAY
    with pytest.raises(ValidationError) as caught:
        tree.resolve(a.units[0], date(2025, 1, 1))
    assert caught.value.code == "code.moved" and str(expected[a.units[0]]) in caught.value.message
    # two districts whose directories hold the same street and community cannot merge blindly
    c = make_district(store)
    with pytest.raises(ConflictError) as clash:
        store.apply_org_changes(
            city,
            [OrgChange(ChangeKind.MERGE, CHANGE_DAY, "并入", unit=str(c.code), to=str(new_code))],
            today=TODAY,
        )
    assert clash.value.code == "orgchange.community_clash"
    assert tree.resolve(a.units[0], date(2024, 9, 30)).code == a.units[0]
    # members re-coded (including the one registered at the district itself)
    members = {m.id: m for m in store.members.iter_members(city, MemberQuery(unit=new_code))}
    assert set(members) == set(ids_a + ids_b)
    for member_id, reg in zip(ids_a + ids_b, regs_a + at_a + regs_b, strict=True):
        want = new_code if reg.unit_code in (a.code, b.code) else expected[reg.unit_code]
        assert members[member_id].unit_code == want
    # routed members' district and the district's communities follow
    assert {members[i].district_code for i in ids_a[:2]} == {new_code}
    assert {c.district_code for c in store.communities(new_code)} == {new_code}
    assert store.communities(a.code) == []
    # the routes, the ledger and the roll-ups follow (one pass per table)
    with support.raw_sql(store) as raw:
        routed = raw.execute(
            f"SELECT district_code, from_code FROM routes WHERE member_id IN ({ids_a[0]}, {ids_a[1]})"
        ).fetchall()
    assert {tuple(r) for r in routed} == {(str(new_code), str(new_code))}
    units = {t.key for t in store.activity_totals(city, RollupKey.UNIT)}
    assert str(expected[a.units[0]]) in units and str(a.units[0]) not in units
    districts = {t.key for t in store.activity_totals(city, RollupKey.DISTRICT)}
    assert str(new_code) in districts and str(a.code) not in districts
    # history: counts as of the day before keep the old codes, and after use the new ones
    before = _counts(store, date(2024, 9, 30), support.CITY, 2)
    assert before.get(str(a.code)) == 6 and before.get(str(b.code)) == 3
    assert str(new_code) not in before
    after = _counts(store, CHANGE_DAY, support.CITY, 2)
    assert after.get(str(new_code)) == 9
    assert str(a.code) not in after and str(b.code) not in after
    by_unit = _counts(store, date(2024, 9, 30), a.code, 3)
    assert by_unit == {str(a.units[0]): 3, str(a.units[1]): 2, str(a.code): 1}
    # nobody counted before registering
    assert _counts(store, date(2024, 8, 31), support.CITY, 2).get(str(a.code)) is None
    # recorded: the merge and its carried units, with why and who
    records = store.org_changes(a.units[0])
    assert [(r.kind, r.new_code) for r in records] == [(ChangeKind.RECODE, expected[a.units[0]])]
    assert records[0].reason == "并入新区" and records[0].actor == support.OS_USER
    entry = next(iter(store.audit(city, AuditQuery(action="org", newest_first=True, limit=1))))
    assert [c["kind"] for c in entry.after["changes"]] == ["add", "merge", "merge"]


def test_a_move_recodes_the_subtree_and_its_operators(store: SqlStore) -> None:
    city = support.city(store)
    d = make_district(store, units=3)
    tree = store.load_org_tree()
    # a unit with a unit below it, moved under its sibling
    store.apply_org_changes(
        city,
        [OrgChange(ChangeKind.ADD, REG_DAY, "新设科室", to=str(d.units[0]), name="第一科")],
        today=TODAY,
    )
    sub = d.units[0].child(1)
    unit_op = support.add_operator(store, Role.UNIT, d.units[0])
    (member,) = _register_on(store, [registration(sub, d.communities[0])])
    # a unit operator cannot move its own unit: the parent decides
    with pytest.raises(NotPermittedError):
        store.apply_org_changes(
            unit_op,
            [
                OrgChange(
                    ChangeKind.MOVE, CHANGE_DAY, "调整", unit=str(d.units[0]), to=str(d.units[1])
                )
            ],
            today=TODAY,
        )
    district_op = support.add_operator(store, Role.DISTRICT, d.code)
    plan = store.apply_org_changes(
        district_op,
        [
            OrgChange(
                ChangeKind.MOVE, CHANGE_DAY, "调整隶属", unit=str(d.units[0]), to=str(d.units[1])
            )
        ],
        today=TODAY,
    )
    new = d.units[1].child(1)
    assert [(m.old, m.new) for m in plan.moves] == [(d.units[0], new), (sub, new.child(1))]
    assert tree.next_child(d.units[1]) == new  # it took the next free code
    assert store.members.get_member(city, member).unit_code == new.child(1)
    moved_op = store.operators.find_operator(unit_op.name)
    assert moved_op is not None and moved_op.scope.code == new
    assert _counts(store, date(2024, 9, 30), d.code, 4) == {str(sub): 1}
    assert _counts(store, CHANGE_DAY, d.code, 5) == {str(new.child(1)): 1}
    # moved twice in one plan: the rows go straight to the last code, the history keeps both
    who = support.person()
    (second,) = _register_on(store, [registration(d.units[2], d.communities[0], who=who)])
    support.route(store, [second], d, 0)
    store.write_activities(city, support.batch(on=TODAY), [support.activity(who, REG_DAY)])
    later = date(2024, 11, 1)
    plan = store.apply_org_changes(
        city,
        [
            OrgChange(
                ChangeKind.MOVE, CHANGE_DAY, "一调", unit=str(d.units[2]), to=str(d.units[1])
            ),
            OrgChange(
                ChangeKind.MOVE, later, "再调", unit=str(d.units[1].child(2)), to=str(d.code)
            ),
        ],
        today=TODAY,
    )
    final = plan.moves[-1].new
    assert store.members.get_member(city, second).unit_code == final
    assert str(final) in {t.key for t in store.activity_totals(city, RollupKey.UNIT)}
    assert _counts(store, date(2024, 9, 30), d.units[2], 3) == {str(d.units[2]): 1}
    assert _counts(store, CHANGE_DAY, d.units[1].child(2), 4) == {str(d.units[1].child(2)): 1}
    assert _counts(store, later, final, 3) == {str(final): 1}


def test_retire_rename_and_next_code_never_reuses(store: SqlStore) -> None:
    city = support.city(store)
    d = make_district(store, units=2)
    (member,) = _register_on(store, [registration(d.units[1], d.communities[0])])
    # a unit with members cannot be retired; an empty one can
    with pytest.raises(ValidationError) as caught:
        store.apply_org_changes(
            city,
            [OrgChange(ChangeKind.RETIRE, CHANGE_DAY, "撤销", unit=str(d.units[1]))],
            today=TODAY,
        )
    assert caught.value.code == "orgchange.has_members"
    store.apply_org_changes(
        city, [OrgChange(ChangeKind.RETIRE, CHANGE_DAY, "撤销", unit=str(d.units[0]))], today=TODAY
    )
    store.apply_org_changes(
        city,
        [
            OrgChange(
                ChangeKind.RENAME, CHANGE_DAY, "更名", unit=str(d.units[1]), name="改名后的单位"
            )
        ],
        today=TODAY,
    )
    tree = store.load_org_tree()
    assert tree.get(d.units[1]).name == "改名后的单位"
    assert tree.get(d.units[1]).name_on(date(2024, 9, 30)) == f"{d.name}第2单位"
    assert tree.get(d.units[0]).retired_on == CHANGE_DAY
    assert [u.code for u in tree.children(d.code)] == [d.units[1]]
    assert d.units[0] not in tree.as_of(CHANGE_DAY)
    assert d.units[0] in tree.as_of(date(2024, 9, 30))
    # the next free code is past the retired one, never it
    plan = store.apply_org_changes(
        city,
        [OrgChange(ChangeKind.ADD, TODAY, "新设", to=str(d.code), name="新单位")],
        today=TODAY,
    )
    assert plan.changes[0].code == d.code.child(3)
    assert store.members.get_member(city, member).unit_code == d.units[1]


def test_a_dry_run_writes_nothing_and_a_bad_change_refuses_all(store: SqlStore) -> None:
    city = support.city(store)
    d = make_district(store)
    before = support.count_rows(store, "org_units"), support.count_rows(store, "org_changes")
    plan = store.apply_org_changes(
        city,
        [OrgChange(ChangeKind.ADD, CHANGE_DAY, "新设", to=str(d.code), name="试单位")],
        today=TODAY,
        dry_run=True,
    )
    assert plan.changes[0].code == d.code.child(3)
    with pytest.raises(ValidationError) as caught:
        store.apply_org_changes(
            city,
            [
                OrgChange(
                    ChangeKind.ADD, CHANGE_DAY, "新设", to=str(d.code), name="试单位", line=2
                ),
                OrgChange(
                    ChangeKind.MERGE,
                    CHANGE_DAY,
                    "并入",
                    unit=str(d.units[0]),
                    to="没有这个单位",
                    line=3,
                ),
            ],
            today=TODAY,
        )
    assert caught.value.message.startswith("第 3 行")
    after = support.count_rows(store, "org_units"), support.count_rows(store, "org_changes")
    assert after == before


def test_member_transfer_keeps_community_and_history(store: SqlStore) -> None:
    city = support.city(store)
    a, b = make_district(store), make_district(store)
    who = support.person()
    (member,) = _register_on(store, [registration(a.units[0], a.communities[0], who=who)])
    support.route(store, [member], a, 0)
    store.write_activities(
        city, support.batch(on=TODAY), [support.activity(who, date(2024, 9, 10)),
                                        support.activity(who, date(2024, 11, 10))]
    )  # fmt: skip
    other_unit = support.add_operator(store, Role.UNIT, b.units[0])
    with pytest.raises(Exception):  # the new unit does not see the member yet  # noqa: B017
        store.members.transfer_member(other_unit, member, b.units[0], CHANGE_DAY, "调动", TODAY)
    old_unit = support.add_operator(store, Role.UNIT, a.units[0])
    moved = store.members.transfer_member(
        old_unit, member, b.units[0], CHANGE_DAY, "工作调动", TODAY
    )
    assert moved.unit_code == b.units[0]
    assert moved.community_id == a.communities[0].id and moved.district_code == a.code
    # the new unit sees the member now; its ledger has the activities from the transfer on
    assert store.members.get_member(other_unit, member).unit_code == b.units[0]
    assert [x.day for x in store.member_activities(other_unit, member)] == [date(2024, 11, 10)]
    assert _counts(store, date(2024, 9, 30), a.code, 3) == {str(a.units[0]): 1}
    assert _counts(store, date(2024, 9, 30), b.code, 3) == {}
    assert _counts(store, CHANGE_DAY, a.code, 3) == {}
    assert _counts(store, CHANGE_DAY, b.code, 3) == {str(b.units[0]): 1}
    entry = next(
        iter(store.audit(city, AuditQuery(subject=f"member:{member}", action="member.transfer")))
    )
    assert entry.before == {"unit_code": str(a.units[0])}
    assert entry.after["reason"] == "工作调动" and entry.actor == old_unit.name
    # a transfer to a retired or moved code is refused naming the new code
    store.apply_org_changes(
        city, [OrgChange(ChangeKind.RETIRE, CHANGE_DAY, "撤销", unit=str(a.units[1]))], today=TODAY
    )
    with pytest.raises(ValidationError) as caught:
        store.members.transfer_member(city, member, a.units[1], TODAY, "x", TODAY)
    assert caught.value.code == "code.retired"
    with pytest.raises(NotFoundError):
        store.members.transfer_member(city, member, OrgCode(("008", "999")), TODAY, "x", TODAY)


def test_leaving_and_retiring(store: SqlStore) -> None:
    city = support.city(store)
    d = make_district(store)
    ids = _register_on(store, [registration(d.units[0], d.communities[0]) for _ in range(4)])
    unit_op = support.add_operator(store, Role.UNIT, d.units[0])
    other = support.add_operator(store, Role.UNIT, d.units[1])
    with pytest.raises(Exception):  # noqa: B017  (not in its scope: not even found)
        store.members.leave_member(other, ids[0], CHANGE_DAY, "调离", TODAY)
    left = store.members.leave_member(unit_op, ids[0], CHANGE_DAY, "调离本市", TODAY)
    assert left.left_on == CHANGE_DAY and left.left_reason == "调离本市"
    stays = store.members.retire_member(unit_op, ids[1], CHANGE_DAY, "", True, TODAY)
    assert stays.retired_on == CHANGE_DAY and stays.left_on is None
    gone = store.members.retire_member(unit_op, ids[2], CHANGE_DAY, "", False, TODAY)
    assert gone.left_on == CHANGE_DAY and gone.left_reason.startswith("退休")
    with pytest.raises(ConflictError):
        store.members.leave_member(unit_op, ids[0], TODAY, "again", TODAY)
    with pytest.raises(ValidationError):
        store.members.leave_member(unit_op, ids[3], date(2025, 1, 1), "future", TODAY)
    # current lists leave them out; a past day still counts them
    current = {m.id for m in store.members.iter_members(city, MemberQuery(unit=d.code))}
    assert current == {ids[1], ids[3]}
    everyone = {
        m.id for m in store.members.iter_members(city, MemberQuery(unit=d.code, include_left=True))
    }
    assert everyone == set(ids)
    assert _counts(store, date(2024, 9, 30), d.code, 3) == {str(d.units[0]): 4}
    assert _counts(store, CHANGE_DAY, d.code, 3) == {str(d.units[0]): 2}
    actions = [e.action for e in store.audit(city, AuditQuery(action="member"))
               if e.subject in {f"member:{i}" for i in ids}]  # fmt: skip
    assert actions.count("member.leave") == 1 and actions.count("member.retire") == 2


def test_service_of_a_year_groups_under_the_codes_of_each_activitys_day(store: SqlStore) -> None:
    """After a merge, a summary of the year it happened in counts each activity under the
    unit and district codes of its own day, members under those of the year's end; the
    successor district's operator sees its predecessor's rows (scope is today's codes)."""
    city = support.city(store)
    a = make_district(store)
    people = [support.person() for _ in range(4)]
    units = [a.units[i % 2] for i in range(4)]
    ids = _register_on(store, [registration(u, a.communities[0], who=p) for u, p in zip(units, people, strict=True)])  # fmt: skip
    support.route(store, ids, a, 0)
    early = [support.activity(p, REG_DAY, hours=1.0 + i) for i, p in enumerate(people)]
    store.write_activities(city, support.batch(on=TODAY), early)
    target = store.load_org_tree().next_child(support.CITY)
    store.apply_org_changes(
        city,
        [
            OrgChange(
                ChangeKind.ADD,
                CHANGE_DAY,
                "设立",
                to="008",
                name=f"新区{target}委",
                org_kind=OrgKind.DISTRICT,
            ),
            OrgChange(ChangeKind.MERGE, CHANGE_DAY, "并入", unit=str(a.code), to=str(target)),
        ],
        today=TODAY,
    )
    late = [support.activity(people[0], date(2024, 11, 2), hours=3.0)]
    store.write_activities(city, support.batch(on=TODAY), late)
    mine = {str(a.code), str(target), *(str(u) for u in a.units), str(target.child(1)),
            str(target.child(2))}  # fmt: skip

    def summary(by: SummaryBy, actor: Actor = city) -> dict[str, tuple[float, int, int | None]]:
        rows = store.feedback.feedback_summary(actor, by, year=2024)
        return {r.key: (r.hours, r.activities, r.members) for r in rows if r.key in mine}

    # before the day: district a, its two units; after it: the new district, the unit's new code
    assert summary(SummaryBy.DISTRICT) == {str(a.code): (10.0, 4, 4), str(target): (3.0, 1, 4)}
    assert summary(SummaryBy.UNIT) == {
        str(a.units[0]): (4.0, 2, 2),
        str(a.units[1]): (6.0, 2, 2),
        str(target.child(1)): (3.0, 1, 2),
        str(target.child(2)): (0.0, 0, 2),
    }
    # members are counted as of the year's end (under the new codes); a key never shows fewer
    # members than served under it
    successor = support.add_operator(store, Role.DISTRICT, target)
    assert summary(SummaryBy.DISTRICT, successor) == summary(SummaryBy.DISTRICT)

    # a unit asked by its old code: its rows of before; by its new code: what it carries now
    def within(unit: OrgCode) -> dict[str, float]:
        rows = store.feedback.feedback_summary(city, SummaryBy.UNIT, year=2024, unit=unit)
        return {r.key: r.hours for r in rows if r.activities}

    assert within(a.units[0]) == {str(a.units[0]): 4.0}
    assert within(target.child(1)) == {str(a.units[0]): 4.0, str(target.child(1)): 3.0}
    # all years: today's codes
    every = {
        r.key: r.hours
        for r in store.feedback.feedback_summary(city, SummaryBy.DISTRICT)
        if r.key in mine
    }
    assert every == {str(target): 13.0}
    assert store.unit_members_on(city, a.units[1], date(2024, 9, 30)) == {
        ids[1]: str(a.units[1]),
        ids[3]: str(a.units[1]),
    }
    assert store.org_changed_after(date(2024, 1, 1))
