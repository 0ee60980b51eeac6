"""The one click type for dates (``--on``, ``--date``, ``--since``, calendar dates), built on
the core's one parser, :func:`partyreg_core.dates.parse_date`: ``2014-9-15``, ``2014/9/15``,
``2014.9.15``, ``2014年9月15日``, ``20140915``, full-width digits. A date that does not exist
(``2014-13-40``) ends in exit 2 with the Chinese message saying how to write it."""

from __future__ import annotations

from datetime import date

import click

from partyreg_core.dates import not_after, parse_date


class DayType(click.ParamType):
    """A calendar date as operators type it."""

    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        what = f"{param.opts[0]} 的日期" if param is not None and param.opts else "日期"
        return parse_date(str(value), what=what)


DAY = DayType()


def up_to(today: date, day: date | None, what: str = "日期") -> date | None:
    """``day`` (``None`` stays ``None``) unless it is after ``today`` (``date.future``)."""
    return None if day is None else not_after(day, today, what=what)
