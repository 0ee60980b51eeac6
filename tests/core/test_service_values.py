"""Needs rows: what ``check_need`` accepts, cleans and refuses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.service.model import Need
from partyreg_core.service.rules import MAX_PEOPLE, MAX_PURPOSE, check_need


@settings(max_examples=300, deadline=None)
@given(
    people=st.integers(-5, MAX_PEOPLE + 5),
    year=st.integers(1990, 2110),
    purpose=st.text(max_size=MAX_PURPOSE + 20),
    start=st.none() | st.dates(date(2000, 1, 1), date(2100, 12, 31)),
    days=st.none() | st.integers(-30, 30),
)
def test_a_need_is_accepted_exactly_when_its_fields_are_usable(
    people: int, year: int, purpose: str, start: date | None, days: int | None
) -> None:
    end = start + timedelta(days=days) if start is not None and days is not None else None
    need = Need(1, year, "8", people, purpose, start, end)
    try:
        checked = check_need(need)
    except ValidationError as err:
        reasons = {
            "needs.people": not 1 <= people <= MAX_PEOPLE,
            "needs.year": not 2000 <= year <= 2100,
            "needs.dates": days is not None and start is not None and days < 0,
        }
        assert reasons.get(err.code, err.code == "needs.purpose")
        return
    assert 1 <= checked.people <= MAX_PEOPLE and 2000 <= checked.year <= 2100
    assert len(checked.purpose) <= MAX_PURPOSE
    assert checked.purpose == checked.purpose.strip()
    assert all(ch.isprintable() for ch in checked.purpose)
    assert check_need(checked) == checked  # cleaning is stable


def test_full_width_and_control_characters_are_cleaned() -> None:
    need = check_need(Need(1, 2014, "8", 2, "  义诊\x07（第１期）  "))
    assert need.purpose == "义诊(第1期)"
    with pytest.raises(ValidationError) as err:
        check_need(Need(1, 2014, "8", 2, "长" * (MAX_PURPOSE + 1)))
    assert err.value.code == "needs.purpose"
