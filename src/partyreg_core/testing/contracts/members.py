"""The member port's contract (:class:`~partyreg_core.members.port.MemberRepository`)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from partyreg_core.audit import AuditQuery
from partyreg_core.errors import ConflictError, NotFoundError, NotPermittedError, ValidationError
from partyreg_core.members.model import MemberCount, MemberQuery, MemberStatus
from partyreg_core.operators.model import Role
from partyreg_core.records import CommunityRef
from partyreg_core.testing.harness import ROUTED_ON, District, Harness, registration

TODAY = date(2024, 12, 1)
REGISTERED_ON = date(2024, 8, 20)


def _members(harness: Harness, district: District, count: int, unit: int = 0) -> list[int]:
    regs = [registration(district.units[unit], district.communities[0]) for _ in range(count)]
    return harness.register(harness.city(), regs, REGISTERED_ON)


class MemberRepositoryContract:
    """What every store does with members, within the acting operator's scope."""

    # -- reading ------------------------------------------------------------------------------

    def test_a_registered_member_reads_back_as_written(self, harness: Harness) -> None:
        district = harness.make_district()
        reg = registration(district.units[0], district.communities[0])
        [member_id] = harness.register(harness.city(), [reg], REGISTERED_ON)
        member = harness.members.get_member(harness.city(), member_id)
        assert member.id == member_id
        assert member.registration == reg
        assert member.status is MemberStatus.REGISTERED
        assert member.registered_on == REGISTERED_ON
        # the report-in community resolved against the directory
        assert member.community_id == district.communities[0].id
        assert member.district_code == district.code

    def test_an_unknown_member_is_not_found(self, harness: Harness) -> None:
        with pytest.raises(NotFoundError) as caught:
            harness.members.get_member(harness.city(), 2**31 - 2)
        assert caught.value.code == "member.not_found"

    def test_a_unit_sees_its_own_members_only(self, harness: Harness) -> None:
        district = harness.make_district()
        mine = _members(harness, district, 2, unit=0)
        theirs = _members(harness, district, 1, unit=1)
        unit = harness.add_operator(Role.UNIT, district.units[0])
        page = harness.members.list_members(unit, MemberQuery())
        assert [m.id for m in page.members] == mine
        assert page.total == 2
        with pytest.raises(NotFoundError):
            harness.members.get_member(unit, theirs[0])

    def test_a_community_sees_the_members_routed_to_it(self, harness: Harness) -> None:
        district = harness.make_district()
        routed = _members(harness, district, 2)
        waiting = _members(harness, district, 1)
        harness.route(routed, district, 0)
        community = harness.add_operator(Role.COMMUNITY, communities=[district.communities[0].id])
        seen = harness.members.list_members(community, MemberQuery())
        assert [m.id for m in seen.members] == routed
        assert all(m.status is MemberStatus.ROUTED for m in seen.members)
        assert seen.members[0].routed_on == ROUTED_ON
        with pytest.raises(NotFoundError):  # registered, not yet routed there
            harness.members.get_member(community, waiting[0])
        other = harness.add_operator(Role.COMMUNITY, communities=[district.communities[1].id])
        assert harness.members.list_members(other, MemberQuery()).total == 0

    def test_a_district_sees_its_units_and_its_communities(self, harness: Harness) -> None:
        home, away = harness.make_district(), harness.make_district()
        own = _members(harness, home, 1)
        routed_in = _members(harness, away, 1)
        harness.route(routed_in, home, 0)
        elsewhere = _members(harness, away, 1)
        district = harness.add_operator(Role.DISTRICT, home.code)
        seen = {m.id for m in harness.members.iter_members(district, MemberQuery())}
        assert set(own + routed_in) <= seen
        assert not set(elsewhere) & seen

    def test_queries_filter_and_page_in_unit_code_order(self, harness: Harness) -> None:
        district = harness.make_district()
        second = _members(harness, district, 2, unit=1)
        first = _members(harness, district, 3, unit=0)
        city, under = harness.city(), MemberQuery(unit=district.code)
        everyone = harness.members.list_members(city, under)
        assert [m.id for m in everyone.members] == first + second
        page = harness.members.list_members(city, attrs.evolve(under, offset=1, limit=2))
        assert [m.id for m in page.members] == (first + second)[1:3]
        assert (page.total, page.offset) == (5, 1)
        streamed = harness.members.iter_members(city, attrs.evolve(under, offset=3))
        assert [m.id for m in streamed] == (first + second)[3:]
        in_unit = harness.members.list_members(city, MemberQuery(unit=district.units[1]))
        assert [m.id for m in in_unit.members] == second
        one = harness.members.get_member(city, first[1])
        by_person = harness.members.list_members(city, MemberQuery(name=one.name, phone=one.phone))
        assert [m.id for m in by_person.members] == [first[1]]
        by_text = harness.members.list_members(city, MemberQuery(text=one.name))
        assert [m.id for m in by_text.members] == [first[1]]

    def test_queries_by_status_post_and_community(self, harness: Harness) -> None:
        district = harness.make_district()
        city = harness.city()
        [claims_9] = harness.register(
            city,
            [registration(district.units[0], district.communities[1], posts=("9",))],
            REGISTERED_ON,
        )
        unresolved = CommunityRef(district.short_name, "无此街道", "无此社区")
        [lost] = harness.register(
            city, [registration(district.units[0], unresolved)], REGISTERED_ON
        )
        routed = _members(harness, district, 2)
        harness.route(routed, district, 0)
        under = MemberQuery(unit=district.code)

        def ids(query: MemberQuery) -> list[int]:
            return [m.id for m in harness.members.list_members(city, query).members]

        assert ids(attrs.evolve(under, status=MemberStatus.ROUTED)) == routed
        assert ids(attrs.evolve(under, status=MemberStatus.REGISTERED)) == [claims_9, lost]
        assert ids(attrs.evolve(under, post="9")) == [claims_9]
        assert ids(attrs.evolve(under, community_id=district.communities[0].id)) == routed
        assert ids(attrs.evolve(under, community=district.communities[1].ref)) == [claims_9]
        assert ids(attrs.evolve(under, community=unresolved)) == [lost]
        assert ids(attrs.evolve(under, community_resolved=False)) == [lost]
        assert lost not in ids(attrs.evolve(under, community_resolved=True))

    # -- counting -------------------------------------------------------------------------------

    def test_counts_by_unit_and_status(self, harness: Harness) -> None:
        district = harness.make_district()
        a = _members(harness, district, 3, unit=0)
        _members(harness, district, 1, unit=1)
        harness.route(a[:2], district, 1)
        city, under = harness.city(), MemberQuery(unit=district.code)
        registered, routed = MemberStatus.REGISTERED, MemberStatus.ROUTED
        assert harness.members.count_members(city, under, 3) == [
            MemberCount(district.units[0], registered, 1),
            MemberCount(district.units[0], routed, 2),
            MemberCount(district.units[1], registered, 1),
        ]
        assert harness.members.count_members(city, under, 2) == [
            MemberCount(district.code, registered, 2),
            MemberCount(district.code, routed, 2),
        ]
        by_community = harness.members.count_members_by_community(city, under)
        assert by_community == [
            (district.communities[0].id, registered, 2),
            (district.communities[1].id, routed, 2),
        ]

    def test_counts_on_a_day_take_the_members_as_they_stood(self, harness: Harness) -> None:
        district = harness.make_district()
        ids = _members(harness, district, 2)
        harness.route(ids[:1], district)
        city, unit = harness.city(), district.units[0]

        def on(day: date) -> list[MemberCount]:
            return harness.members.count_members_on(city, day, 3, under=district.code)

        assert on(date(2024, 8, 1)) == []  # before they were registered
        assert on(date(2024, 9, 1)) == [MemberCount(unit, MemberStatus.REGISTERED, 2)]
        assert on(date(2024, 9, 30)) == [
            MemberCount(unit, MemberStatus.REGISTERED, 1),
            MemberCount(unit, MemberStatus.ROUTED, 1),
        ]
        harness.members.transfer_member(
            city, ids[1], district.units[1], date(2024, 10, 1), "调动", TODAY
        )
        assert on(date(2024, 9, 30)) == [  # by the unit they had that day
            MemberCount(unit, MemberStatus.REGISTERED, 1),
            MemberCount(unit, MemberStatus.ROUTED, 1),
        ]
        assert on(date(2024, 10, 2)) == [
            MemberCount(unit, MemberStatus.ROUTED, 1),
            MemberCount(district.units[1], MemberStatus.REGISTERED, 1),
        ]

    # -- editing ------------------------------------------------------------------------------

    def test_an_edit_changes_the_fields_and_is_audited(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        unit = harness.add_operator(Role.UNIT, district.units[0])
        before = harness.members.get_member(unit, member_id)
        changed = attrs.evolve(before.registration, specialty="律师", posts=("5",))
        after = harness.members.update_member(unit, member_id, changed)
        assert (after.specialty, after.posts) == ("律师", ("5",))
        assert harness.members.get_member(unit, member_id) == after
        [entry] = harness.audit(
            unit, AuditQuery(action="member.edit", subject=f"member:{member_id}")
        )
        assert entry.actor == unit.name
        assert entry.before == {"specialty": "医生", "posts": ["3", "8"]}
        assert entry.after == {"specialty": "律师", "posts": ["5"]}
        # the same fields again change nothing and leave no entry
        assert harness.members.update_member(unit, member_id, changed) == after
        query = AuditQuery(action="member.edit", subject=f"member:{member_id}")
        assert len(list(harness.audit(unit, query))) == 1

    def test_an_edit_keeps_the_member_rules(self, harness: Harness) -> None:
        district = harness.make_district()
        a, b = _members(harness, district, 2)
        city = harness.city()
        member = harness.members.get_member(city, a)
        other = harness.members.get_member(city, b)
        moved = attrs.evolve(member.registration, unit_code=district.units[1])
        with pytest.raises(ConflictError) as caught:
            harness.members.update_member(city, a, moved)
        assert caught.value.code == "member.unit_by_transfer"
        clash = attrs.evolve(member.registration, name=other.name, phone=other.phone)
        with pytest.raises(ConflictError) as caught:
            harness.members.update_member(city, a, clash)
        assert caught.value.code == "member.conflict"
        harness.route([a], district)
        elsewhere = attrs.evolve(member.registration, community=district.communities[1].ref)
        with pytest.raises(ConflictError) as caught:
            harness.members.update_member(city, a, elsewhere)
        assert caught.value.code == "member.community_by_change"
        assert harness.members.get_member(city, a).community == member.community

    def test_a_community_may_not_edit_a_registration(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        harness.route([member_id], district)
        community = harness.add_operator(Role.COMMUNITY, communities=[district.communities[0].id])
        member = harness.members.get_member(community, member_id)
        with pytest.raises(NotPermittedError) as caught:
            harness.members.update_member(
                community, member_id, attrs.evolve(member.registration, specialty="厨师")
            )
        assert caught.value.code == "scope.denied"
        assert harness.members.get_member(community, member_id).specialty == "医生"

    # -- removing and the lifecycle ---------------------------------------------------------

    def test_a_member_nothing_is_built_on_can_be_removed(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        city = harness.city()
        removed = harness.members.remove_member(city, member_id, "重复登记")
        assert removed.id == member_id
        with pytest.raises(NotFoundError):
            harness.members.get_member(city, member_id)
        [entry] = harness.audit(
            city, AuditQuery(action="member.remove", subject=f"member:{member_id}")
        )
        assert entry.after == {"reason": "重复登记"}

    def test_a_routed_member_cannot_be_removed(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        harness.route([member_id], district)
        with pytest.raises(ConflictError) as caught:
            harness.members.remove_member(harness.city(), member_id, "重复登记")
        assert caught.value.code == "member.in_use"
        assert harness.members.get_member(harness.city(), member_id).id == member_id

    def test_a_transfer_moves_the_member_to_the_new_unit(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        unit = harness.add_operator(Role.UNIT, district.units[0])
        moved = harness.members.transfer_member(
            unit, member_id, district.units[1], date(2024, 10, 1), "调动", TODAY
        )
        assert moved.unit_code == district.units[1]
        with pytest.raises(NotFoundError):  # the old unit no longer sees them
            harness.members.get_member(unit, member_id)
        city = harness.city()
        for to, on, code in (
            (district.units[0], date(2024, 12, 2), "member.future"),
            (district.units[1], date(2024, 11, 1), "member.same_unit"),
            (district.units[0], date(2024, 9, 1), "member.transfer_date"),
        ):
            with pytest.raises(ValidationError) as caught:
                harness.members.transfer_member(city, member_id, to, on, "调动", TODAY)
            assert caught.value.code == code

    def test_a_member_who_leaves_drops_out_of_current_lists(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        city, under = harness.city(), MemberQuery(unit=district.code)
        left = harness.members.leave_member(city, member_id, date(2024, 11, 1), "迁出", TODAY)
        assert (left.left_on, left.left_reason) == (date(2024, 11, 1), "迁出")
        assert harness.members.list_members(city, under).total == 0
        with_left = harness.members.list_members(city, attrs.evolve(under, include_left=True))
        assert [m.id for m in with_left.members] == [member_id]
        assert harness.members.get_member(city, member_id).left_on == date(2024, 11, 1)
        with pytest.raises(ConflictError) as caught:
            harness.members.leave_member(city, member_id, date(2024, 11, 2), "再次", TODAY)
        assert caught.value.code == "member.left"
        with pytest.raises(ConflictError) as caught:
            harness.members.update_member(city, member_id, left.registration)
        assert caught.value.code == "member.left"

    def test_a_retirement_keeps_or_ends_the_membership(self, harness: Harness) -> None:
        district = harness.make_district()
        stays, goes = _members(harness, district, 2)
        city, day = harness.city(), date(2024, 11, 1)
        kept = harness.members.retire_member(city, stays, day, "", True, TODAY)
        assert (kept.retired_on, kept.left_on) == (day, None)
        with pytest.raises(ConflictError) as caught:
            harness.members.retire_member(city, stays, day, "", True, TODAY)
        assert caught.value.code == "member.retired"
        gone = harness.members.retire_member(city, goes, day, "到龄", False, TODAY)
        assert (gone.retired_on, gone.left_on, gone.left_reason) == (day, day, "退休：到龄")
        current = harness.members.list_members(city, MemberQuery(unit=district.code))
        assert [m.id for m in current.members] == [stays]

    def test_only_the_unit_side_records_a_leaving(self, harness: Harness) -> None:
        district = harness.make_district()
        [member_id] = _members(harness, district, 1)
        harness.route([member_id], district)
        community = harness.add_operator(Role.COMMUNITY, communities=[district.communities[0].id])
        with pytest.raises(NotPermittedError) as caught:
            harness.members.leave_member(community, member_id, date(2024, 11, 1), "迁出", TODAY)
        assert caught.value.code == "scope.denied"
        assert harness.members.get_member(community, member_id).left_on is None
