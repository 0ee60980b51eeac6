"""Dates as operators type them on the command line (``--on``, ``--date``, calendar dates)."""

from __future__ import annotations

from datetime import date

import click

from partyreg_core.normalize import normalize_date


class DayType(click.ParamType):
    """A calendar date: ``2024-09-20``, ``2024/9/20``, ``2024年9月20日`` (full-width too)."""

    name = "DATE"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        return normalize_date(str(value), today=date.max)


DAY = DayType()
