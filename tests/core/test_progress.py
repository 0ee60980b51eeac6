"""The progress rules (as of a date, on time, late, overdue, roll-ups, ranking, reminders), the
calendar as a setting, and the change-of-community target parser."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.calendar import CampaignCalendar
from partyreg_core.changes import ChangeRequest, ChangeStatus, clean_reason, parse_target
from partyreg_core.errors import ValidationError
from partyreg_core.orgcodes import OrgCode
from partyreg_core.progress import (
    MemberDates,
    ProgressBy,
    ProgressCount,
    build_report,
    calendar_from_setting,
    calendar_to_setting,
    completion_rate,
    deadline_within,
    evaluate,
    expected_for,
    is_lagging,
    overdue_milestones,
    ranked,
    reminder,
    with_dues,
)
from partyreg_core.records import CommunityRef

CAL = CampaignCalendar.default(2024)


def code(text: str) -> OrgCode:
    return OrgCode(tuple(text.split(".")))


# -- members' dates → counts, the rule stated once more, independently -------------------------

dates = st.one_of(st.none(), st.dates(date(2024, 8, 1), date(2024, 12, 31)))
member_dates = st.tuples(st.dates(date(2024, 8, 1), date(2024, 12, 31)), dates, dates)


def _count(people: list[tuple[date, date | None, date | None]], on: date) -> ProgressCount:
    mine = [p for p in people if p[0] <= on]

    def done(i: int, due: date) -> tuple[int, int]:
        reached = [p[i] for p in mine if p[i] is not None and p[i] <= on]  # type: ignore[operator]
        return len(reached), sum(d <= due for d in reached)  # type: ignore[operator]

    routed, routed_on_time = done(1, CAL.routing_due)
    reported, reported_on_time = done(2, CAL.report_in_due)
    return ProgressCount(
        "008.001.001",
        len(mine),
        sum(p[0] <= CAL.registration_due for p in mine),
        routed,
        routed_on_time,
        reported,
        reported_on_time,
    )


@given(st.lists(member_dates, max_size=30), st.dates(date(2024, 8, 1), date(2024, 12, 31)))
def test_nothing_is_overdue_before_a_deadline_and_the_missing_are_after(
    people: list[tuple[date, date | None, date | None]], on: date
) -> None:
    row = evaluate(_count(people, on), CAL, on, expected=None)
    mine = [p for p in people if p[0] <= on]
    not_routed = sum(1 for p in mine if p[1] is None or p[1] > on)
    not_reported = sum(1 for p in mine if p[2] is None or p[2] > on)
    assert row.routing.overdue == (not_routed if on > CAL.routing_due else 0)
    assert row.report_in.overdue == (not_reported if on > CAL.report_in_due else 0)
    late_routes = sum(1 for p in mine if p[1] is not None and CAL.routing_due < p[1] <= on)
    assert row.routing.late == late_routes
    if on <= CAL.routing_due:
        assert row.routing.late == 0
    assert row.routing.on_time + row.routing.late == row.routing.done == row.routed
    assert 0.0 <= row.completion <= 1.0


def test_registration_is_measured_against_the_expected_count() -> None:
    count = ProgressCount("008.001.001", registered=7, registered_on_time=5)
    before = evaluate(count, CAL, date(2024, 8, 30), expected=10)
    after = evaluate(count, CAL, date(2024, 8, 31), expected=10)
    assert (before.registration.overdue, after.registration.overdue) == (0, 3)
    assert after.registration.late == 2
    assert evaluate(count, CAL, date(2024, 9, 1), expected=None).registration.overdue == 0
    assert evaluate(count, CAL, date(2024, 9, 1), expected=4).registration.overdue == 0


def test_completion_rate() -> None:
    assert completion_rate(5, 8, 10) == 0.5
    assert completion_rate(5, 8, None) == 5 / 8
    assert completion_rate(5, 8, 0) == 5 / 8
    assert completion_rate(0, 0, None) == 0.0
    assert completion_rate(12, 12, 10) == 1.0


def test_the_nearest_declaration_wins() -> None:
    declared = {code("008.001.002"): 40, code("008.001.003.001"): 5, code("008.001.003.002"): 7}
    assert expected_for(code("008.001.002"), declared) == 40
    assert expected_for(code("008.001.003"), declared) == 12
    assert expected_for(code("008.001"), declared) == 52
    assert expected_for(code("008.002"), declared) is None
    declared[code("008.001")] = 60
    assert expected_for(code("008.001"), declared) == 60


def test_report_rows_roll_up_by_district_and_units_with_no_member_appear() -> None:
    counts = [
        ProgressCount("008.001.001", 4, 4, 3, 3, 2, 2),
        ProgressCount("008.001.002", 2, 1, 1, 0, 0, 0),
        ProgressCount("008.010.001", 5, 5, 5, 5, 5, 5),
    ]
    declared = {code("008.001.001"): 5, code("008.001.004"): 9}
    report = build_report(
        by=ProgressBy.UNIT,
        counts=counts,
        calendar=CAL,
        on=date(2024, 9, 30),
        names={"008.001": "清河区委", "008.001.004": "新单位"},
        expectations=declared,
    )
    assert [r.key for r in report.rows] == [
        "008.001.001",
        "008.001.002",
        "008.001.004",
        "008.010.001",
    ]
    empty = report.rows[2]
    assert (empty.name, empty.expected, empty.registered, empty.registration.overdue) == (
        "新单位", 9, 0, 9,
    )  # fmt: skip
    [qinghe, shiji] = report.districts
    assert (qinghe.key, qinghe.name, qinghe.registered, qinghe.expected) == (
        "008.001", "清河区委", 6, 14,
    )  # fmt: skip
    assert (shiji.registered, shiji.expected) == (5, None)
    assert report.total.registered == 11 and report.total.expected == 14
    assert report.total.report_in.overdue == 11 - 7
    hidden = build_report(
        by=ProgressBy.UNIT,
        counts=counts,
        calendar=CAL,
        on=date(2024, 9, 30),
        names={},
        expectations=declared,
        expected_visible=lambda c: c.is_within(code("008.010")),
    )
    assert [r.expected for r in hidden.rows] == [None, None, None]


def test_ranking_and_lagging() -> None:
    on = date(2024, 9, 15)
    good = evaluate(ProgressCount("008.001.001", 10, 10, 10, 10, 9, 9), CAL, on, expected=10)
    poor = evaluate(ProgressCount("008.001.002", 10, 10, 8, 8, 2, 2), CAL, on, expected=None)
    tie = evaluate(ProgressCount("008.001.000", 10, 10, 10, 10, 9, 9), CAL, on, expected=10)
    assert [r.key for r in ranked([poor, good, tie])] == [
        "008.001.000",
        "008.001.001",
        "008.001.002",
    ]
    assert is_lagging(poor, "routing") and not is_lagging(good, "routing")
    assert is_lagging(good, "report_in")
    assert is_lagging(good, "registration") is False
    short = evaluate(ProgressCount("x", 3), CAL, on, expected=5)
    assert is_lagging(short, "registration")
    with pytest.raises(ValidationError):
        is_lagging(good, "nothing")


def test_the_deadline_within_days_and_the_reminder_payload() -> None:
    assert deadline_within(CAL, date(2024, 9, 14), 5) is None  # 9-20 is six days away
    found = deadline_within(CAL, date(2024, 9, 14), 6)
    assert found is not None and (found.key, found.due) == ("report_in", date(2024, 9, 20))
    assert deadline_within(CAL, date(2024, 9, 21), 30) is None
    assert deadline_within(CAL, date(2024, 12, 21), 30) is None
    assert deadline_within(CAL, date(2024, 9, 20), 0).key == "report_in"  # type: ignore[union-attr]
    row = evaluate(ProgressCount("008.001.001", 4, 4, 3, 3, 1, 1), CAL, date(2024, 9, 17),
                   name="民政局", expected=6)  # fmt: skip
    deadline = CAL.deadline("report_in")
    assert reminder(row, deadline, date(2024, 9, 17)) == {
        "code": "008.001.001",
        "name": "民政局",
        "deadline": "report_in",
        "deadline_label": deadline.label,
        "due": "2024-09-20",
        "days_left": 3,
        "expected": 6,
        "registered": 4,
        "routed": 3,
        "reported_in": 1,
    }


def test_a_members_overdue_milestones() -> None:
    d = MemberDates(date(2024, 8, 20), date(2024, 9, 12), None, None)
    assert overdue_milestones(d, CAL, date(2024, 9, 10)) == ()
    assert overdue_milestones(d, CAL, date(2024, 9, 11)) == ("routing",)
    assert overdue_milestones(d, CAL, date(2024, 9, 21)) == ("report_in",)
    assert overdue_milestones(d, CAL, date(2024, 12, 21)) == ("report_in",)
    reported = MemberDates(date(2024, 8, 20), date(2024, 9, 1), date(2024, 9, 2), None)
    assert overdue_milestones(reported, CAL, date(2024, 12, 21)) == ("confirmation",)
    later = MemberDates(date(2024, 10, 1), None, None, None)
    assert overdue_milestones(later, CAL, date(2024, 9, 30)) == ()


# -- the calendar as a setting --------------------------------------------------------------


@given(st.integers(2000, 2100), st.lists(st.integers(1, 300), min_size=4, max_size=4, unique=True))
def test_a_calendar_survives_its_setting(year: int, offsets: list[int]) -> None:
    dues = sorted(date(year, 1, 1) + timedelta(days=o) for o in offsets)
    calendar = CampaignCalendar(year, *dues)
    assert calendar_from_setting(year, calendar_to_setting(calendar)) == calendar


def test_the_default_calendar_and_moving_a_deadline() -> None:
    assert calendar_from_setting(2024, None) == CAL
    moved = with_dues(CAL, {"report_in": date(2024, 9, 25)})
    assert moved.report_in_due == date(2024, 9, 25) and moved.routing_due == CAL.routing_due
    with pytest.raises(ValidationError) as order:
        with_dues(CAL, {"routing": date(2024, 9, 30)})
    assert order.value.code == "calendar.order"
    with pytest.raises(ValidationError):
        with_dues(CAL, {"nothing": date(2024, 9, 30)})
    with pytest.raises(ValidationError):
        calendar_from_setting(2024, {"routing": "09/10"})


# -- the new community as typed ----------------------------------------------------------------

names = st.text(
    st.characters(whitelist_categories=("Lo",), min_codepoint=0x4E00, max_codepoint=0x9FFF),
    min_size=1,
    max_size=8,
)
separators = st.sampled_from([" ", "/", " / ", "\u3000", "／", "  ", "\t"])


@given(names, names, names, separators, separators)
def test_a_target_is_read_with_any_separator(
    district: str, street: str, community: str, a: str, b: str
) -> None:
    assert parse_target(f" {district}{a}{street}{b}{community} ") == CommunityRef(
        district, street, community
    )


@given(st.integers(1, 10**9))
def test_a_target_by_id_full_width_digits_too(number: int) -> None:
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in str(number))
    assert parse_target(str(number)) == number
    assert parse_target(wide) == number


@pytest.mark.parametrize("text", ["", "清河区", "清河区 河下街道", "a b c d", "///"])
def test_a_target_that_is_not_three_names_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_target(text)
    assert info.value.code == "change.to"


@given(st.text(max_size=250))
def test_reasons_are_clean_or_refused(text: str) -> None:
    try:
        value = clean_reason(text)
    except ValidationError as exc:
        assert exc.code == "change.reason"
        return
    assert value and value == value.strip() and len(value) <= 200
    assert all(ch.isprintable() for ch in value)


def test_the_change_event_payload() -> None:
    request = ChangeRequest(
        id=3,
        member_id=7,
        name="张三",
        unit_code=code("008.001.002"),
        from_community_id=1,
        to_community_id=2,
        to=CommunityRef("清河区", "河下街道", "新村社区"),
        reason="搬家",
        status=ChangeStatus.PENDING,
        requested_on=date(2024, 10, 1),
    )
    assert request.event() == {
        "id": 3,
        "member_id": 7,
        "name": "张三",
        "unit_code": "008.001.002",
        "from_community_id": 1,
        "to_community_id": 2,
        "to": "清河区 河下街道 新村社区",
        "reason": "搬家",
        "decided_by": None,
    }


segments = st.lists(st.sampled_from(["001", "002", "010"]), min_size=1, max_size=3).map(tuple)


@given(st.dictionaries(segments, st.integers(0, 100), max_size=12), segments)
def test_the_expectation_index_is_the_nearest_declaration(
    declared_segments: dict[Any, int], asked: tuple[str, ...]
) -> None:
    declared = {OrgCode(("008", *k)): n for k, n in declared_segments.items()}
    code_ = OrgCode(("008", *asked))

    def naive(c: OrgCode) -> int | None:
        if c in declared:
            return declared[c]
        below = [d for d in declared if d != c and d.is_within(c)]
        nearest = [d for d in below if not any(o != d and d.is_within(o) for o in below)]
        return sum(declared[d] for d in nearest) if nearest else None

    assert expected_for(code_, declared) == naive(code_)
