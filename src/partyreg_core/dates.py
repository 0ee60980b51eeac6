"""The one date parser: every option and every sheet column that takes a date reads it here.

Operators type dates as they write them on paper or as Excel shows them: ``2014-9-15``,
``2014/9/15``, ``2014.9.15`` (also with ``。``), ``2014年9月15日`` (or ``号``), ``20140915``,
full-width digits, a date cell's ISO text with a time part (``2014-09-15 00:00:00``), and —
in sheet cells only (``serial=True``) — the Excel serial number a date cell shows when it is
formatted as a number (``41897``). A date that does not exist (``2014-13-40``) is refused with
a Chinese message saying what is wrong and how to write it (decision 0064).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from partyreg_core.errors import ValidationError
from partyreg_core.text import clean, remove_whitespace

_SEPARATED = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_CHINESE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
# A date cell read with its time part (``2024-03-05 00:00:00``): the day is what counts.
_TIME_PART = re.compile(r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)$")
# An Excel serial as a General-formatted date cell shows it: five digits (1927-05-18 to
# 2173-10-14), a fraction being the time of day.
_SERIAL = re.compile(r"(\d{5})(?:\.\d+)?")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900-02-29 is before)
EXAMPLES = "2014-09-15、2014/9/15、2014.9.15、2014年9月15日 或 20140915"


def parse_date(text: str, *, what: str = "日期", serial: bool = False) -> date:
    """The date ``text`` means; ``what`` names it in messages (``活动日期``, ``--on``).
    With ``serial``, a five-digit Excel serial number is a date too (sheet cells).

    Codes: ``date.missing`` (empty), ``date.invalid`` (not a date, or no such day).
    """
    value = clean(str(text)).replace("。", ".")
    value = remove_whitespace(_TIME_PART.sub("", value).strip())
    if not value:
        raise ValidationError("date.missing", f"{what}为空：请填写日期，如 {EXAMPLES}。")
    match = _SEPARATED.fullmatch(value) or _CHINESE.fullmatch(value) or _COMPACT.fullmatch(value)
    if match is None:
        number = _SERIAL.fullmatch(value)
        if number is not None and serial:
            return _EXCEL_EPOCH + timedelta(days=int(number.group(1)))
        hint = (
            "它像是 Excel 的日期序号，请把单元格设为“日期”格式，或直接写成"
            if number is not None
            else "请写成"
        )
        raise ValidationError("date.invalid", f"{what}“{text}”无法识别：{hint} {EXAMPLES}。")
    year, month, day = (int(g) for g in match.groups() if g.isdigit())
    if not 1 <= year <= 9998:
        raise ValidationError(
            "date.invalid", f"{what}“{text}”不对：年份 {year} 不对。请核对后写成 {EXAMPLES}。"
        )
    if not 1 <= month <= 12:
        raise ValidationError(
            "date.invalid",
            f"{what}“{text}”不对：没有 {month} 月（月份是 1–12）。请核对后写成 {EXAMPLES}。",
        )
    try:
        return date(year, month, day)
    except ValueError:
        last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        raise ValidationError(
            "date.invalid",
            f"{what}“{text}”不对：{year} 年 {month} 月没有 {day} 日（这个月只有 {last} 天）。"
            f"请核对后写成 {EXAMPLES}。",
        ) from None


def not_after(day: date, today: date, *, what: str = "日期", fix: str = "请核对年份") -> date:
    """``day`` unless it is after ``today`` (``date.future``)."""
    if day > today:
        raise ValidationError(
            "date.future", f"{what} {day.isoformat()} 晚于今天（{today.isoformat()}）：{fix}。"
        )
    return day
