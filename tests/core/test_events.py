"""The rules of events (decision 0125): the time parser, the code normaliser, the check-in
window and the hours credited."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import ConflictError, ValidationError
from partyreg_core.events import rules
from partyreg_core.events.model import Attendance, Event, EventStatus

ZONE = ZoneInfo("Asia/Shanghai")
EVENT = Event(1, date(2014, 10, 12), time(9), time(11, 30), "清理楼道", "123456", id=7)


def at(clock: str) -> datetime:
    return datetime.combine(EVENT.day, time.fromisoformat(clock), tzinfo=ZONE)


@given(st.integers(0, 23), st.integers(0, 59), st.sampled_from([":", "：", "点", "."]),
       st.booleans(), st.booleans())  # fmt: skip
def test_every_written_time_parses_to_itself(
    hour: int, minute: int, sep: str, pad: bool, wide: bool
) -> None:
    text = f"{hour:02d}" if pad else str(hour)
    text += f"{sep}{minute:02d}"
    if wide:  # full-width digits, as a Chinese input method types them
        text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert rules.parse_clock(f" {text} ") == time(hour, minute)


@given(st.text(max_size=12))
def test_the_time_parser_accepts_only_times(text: str) -> None:
    try:
        parsed = rules.parse_clock(text, field="--end")
    except ValidationError as error:
        assert error.code == "event.time" and "--end" in error.message
    else:
        assert f"{parsed:%H:%M}" == rules.parse_clock(f"{parsed:%H:%M}").strftime("%H:%M")


@pytest.mark.parametrize("text", ["24:00", "9:60", "9", "0930", "9:5", "", "下午三点"])
def test_times_that_are_not_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        rules.parse_clock(text)


@given(st.integers(0, 999_999), st.sampled_from(["", " ", "-"]), st.booleans())
def test_a_code_as_typed_normalises_to_its_six_digits(number: int, sep: str, wide: bool) -> None:
    digits = f"{number:06d}"
    text = f"{digits[:3]}{sep}{digits[3:]}"
    if wide:
        text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert rules.normalise_code(text) == digits


@given(st.text(max_size=10))
def test_a_normalised_code_is_six_ascii_digits_or_nothing(text: str) -> None:
    code = rules.normalise_code(text)
    assert code == "" or (len(code) == 6 and code.isascii() and code.isdigit())


def test_the_window_opens_half_an_hour_early_and_check_out_follows_the_start() -> None:
    with pytest.raises(ValidationError) as early:
        rules.check_kind_at(EVENT, None, at("08:29"))
    assert early.value.code == "event.too_early" and "08:30" in early.value.message
    assert rules.check_kind_at(EVENT, None, at("08:30")) is False
    assert rules.check_kind_at(EVENT, None, at("11:30")) is False
    with pytest.raises(ValidationError):
        rules.check_kind_at(EVENT, None, at("11:31"))
    came = Attendance(7, 1, at("08:45"))
    with pytest.raises(ConflictError):
        rules.check_kind_at(EVENT, came, at("08:55"))
    assert rules.check_kind_at(EVENT, came, at("09:00")) is True
    assert rules.check_kind_at(EVENT, came, at("12:00")) is True
    with pytest.raises(ValidationError):
        rules.check_kind_at(EVENT, came, at("12:01"))
    closed = Event(1, EVENT.day, EVENT.start, EVENT.end, "x", "1", status=EventStatus.CLOSED)
    with pytest.raises(ConflictError):
        rules.check_kind_at(closed, None, at("09:00"))


def test_hours_are_the_events_length_or_the_time_present_within_it() -> None:
    assert rules.event_hours(EVENT) == 2.5
    assert rules.attended_hours(EVENT, Attendance(7, 1, at("08:40")), ZONE) == 2.5
    out_early = Attendance(7, 1, at("08:40"), at("10:05").astimezone(UTC))
    assert rules.attended_hours(EVENT, out_early, ZONE) == 1.0  # 09:00–10:05
    stayed = Attendance(7, 1, at("09:20"), at("11:55"))
    assert rules.attended_hours(EVENT, stayed, ZONE) == 2.0  # 09:20–11:30, 130 minutes
    brief = Attendance(7, 1, at("09:00"), at("09:05"))
    assert rules.attended_hours(EVENT, brief, ZONE) == 0.5  # at least half an hour


@given(st.integers(0, 24 * 60))
def test_hours_are_half_hours_at_least_one_half(minutes: int) -> None:
    hours = rules.half_hours(minutes)
    assert hours >= 0.5 and (hours * 2).is_integer()
    assert abs(hours - minutes / 60) <= 0.25 or minutes < 15


def test_an_event_ends_after_it_starts_within_one_day() -> None:
    with pytest.raises(ValidationError) as caught:
        rules.check_event(Event(1, EVENT.day, time(11), time(9), "x", "1"))
    assert caught.value.code == "event.window"
    with pytest.raises(ValidationError):
        rules.check_event(Event(1, EVENT.day, time(9), time(10), "  ", "1"))
    with pytest.raises(ValidationError):
        rules.refuse_early_close(EVENT, at("11:29"))
    rules.refuse_early_close(EVENT, at("11:30"))
    assert rules.check_in_url("https://a.cn/", "123456") == "https://a.cn/checkin?code=123456"
    assert timedelta(minutes=30) == rules.CHECK_IN_OPENS
