"""Parameter types shared by the commands: record ids as operators type them."""

from __future__ import annotations

import click

from partyreg_core.records import record_id


class RecordIdType(click.ParamType):
    """A record's number (党员编号, 申请编号, 消息编号 …): digits, full-width too; a number no
    store can hold finds nothing instead of overflowing the database."""

    name = "编号"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        if isinstance(value, int):
            return value
        number = record_id(str(value))
        if number is None:
            self.fail(f"“{str(value)[:40]}”不是编号：请只写数字，如 12。", param, ctx)
        return number


RECORD_ID = RecordIdType()
