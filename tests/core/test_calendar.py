"""The campaign calendar: phases, next deadline, days left."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.calendar import CampaignCalendar, Phase
from partyreg_core.errors import ValidationError

CAL = CampaignCalendar.default(2014)


@pytest.mark.parametrize(
    ("day", "phase", "deadline", "days"),
    [
        (date(2014, 8, 1), Phase.REGISTRATION, "registration", 29),
        (date(2014, 8, 30), Phase.REGISTRATION, "registration", 0),
        (date(2014, 8, 31), Phase.ROUTING, "routing", 10),
        (date(2014, 9, 10), Phase.ROUTING, "routing", 0),
        (date(2014, 9, 11), Phase.REPORT_IN, "report_in", 9),
        (date(2014, 9, 21), Phase.SERVICE, "confirmation", 90),
        (date(2014, 12, 20), Phase.SERVICE, "confirmation", 0),
    ],
)
def test_phase_and_next_deadline(day: date, phase: Phase, deadline: str, days: int) -> None:
    assert CAL.phase_on(day) is phase
    assert CAL.next_deadline(day).key == deadline  # type: ignore[union-attr]
    assert CAL.days_left(day) == days


def test_after_the_last_deadline_the_year_is_closed() -> None:
    assert CAL.phase_on(date(2014, 12, 21)) is Phase.CLOSED
    assert CAL.next_deadline(date(2015, 1, 1)) is None
    assert CAL.days_left(date(2014, 12, 31)) is None


def test_lateness_is_after_the_day() -> None:
    assert not CAL.is_late("registration", date(2014, 8, 30))
    assert CAL.is_late("registration", date(2014, 8, 31))


def test_dates_are_configurable_per_year_but_must_be_in_order() -> None:
    custom = CampaignCalendar(
        2015, date(2015, 9, 5), date(2015, 9, 15), date(2015, 9, 25), date(2015, 12, 25)
    )
    assert custom.phase_on(date(2015, 9, 1)) is Phase.REGISTRATION
    with pytest.raises(ValidationError) as info:
        CampaignCalendar(
            2015, date(2015, 9, 15), date(2015, 9, 10), date(2015, 9, 25), date(2015, 12, 20)
        )
    assert info.value.code == "calendar.order"
    with pytest.raises(ValidationError):
        CampaignCalendar(
            2015, date(2014, 8, 30), date(2015, 9, 10), date(2015, 9, 25), date(2015, 12, 20)
        )


@given(st.dates(min_value=date(2014, 1, 1), max_value=date(2014, 12, 31)))
def test_phases_only_move_forward(day: date) -> None:
    order = list(Phase)
    tomorrow = day + timedelta(days=1)
    assert order.index(CAL.phase_on(day)) <= order.index(CAL.phase_on(tomorrow))
    left = CAL.days_left(day)
    if left is not None:
        assert CAL.next_deadline(day).due == day + timedelta(days=left)  # type: ignore[union-attr]
