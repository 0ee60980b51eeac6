"""An example county format: 淮安区's own CSV export, mapped onto 附表1.

淮安区's member system exports a CSV whose columns are named differently from the city's form
(``党员姓名`` for ``姓名``, ``服务岗位编号`` for ``认领岗位`` …). This format recognises that
header, renames its columns to the form's, and leaves everything else — normalisation,
validation, storage — to partyreg, so the file imports exactly like a filled 附表1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.ports import RawRow, RawSheet, ReadLimits
from partyreg_core.text import header_key
from partyreg_plugins.formats_csv import CsvFormat

# The county's column name → the 附表1 header it means.
COLUMNS = {
    "所在单位代码": "单位代码",
    "党员姓名": "姓名",
    "性别": "性别",
    "工作单位及职务": "单位及职务",
    "个人特长": "特长",
    "服务岗位编号": "认领岗位",
    "手机号码": "联系方式",
    "家庭住址": "常住住址",
    "社区名称": "报到社区",
    "街道名称": "社区所属街道、乡镇",
    "县区名称": "所属",
}
_KEYS = {header_key(k): v for k, v in COLUMNS.items()}
_SIGNATURE = {header_key(k) for k in ("党员姓名", "服务岗位编号", "社区名称")}


def _is_county_header(cells: tuple[str, ...]) -> bool:
    return _SIGNATURE.issubset(header_key(c) for c in cells)


class HuaianCsvFormat:
    """淮安区党员管理系统导出的 CSV."""

    name = "huaian-csv"
    extensions = (".csv",)

    def __init__(self) -> None:
        self._csv = CsvFormat()

    def sniff(self, path: Path, limits: ReadLimits) -> None:
        """Accept only a CSV whose header row is the county's layout."""
        self._csv.sniff(path, limits)
        for sheet in self._csv.sheets(path, limits):
            for row in sheet.rows():
                if _is_county_header(row.cells):
                    return
                break
        raise ValidationError("file.not_this_format", f"{path.name} 不是淮安区系统导出的格式。")

    def sheets(self, path: Path, limits: ReadLimits) -> Iterator[RawSheet]:
        """The file as one sheet, its header renamed to 附表1's."""
        for sheet in self._csv.sheets(path, limits):
            yield RawSheet(sheet.name, lambda sheet=sheet: _renamed(sheet.rows()))


def _renamed(rows: Iterator[RawRow]) -> Iterator[RawRow]:
    for row in rows:
        if _is_county_header(row.cells):
            row = attrs.evolve(row, cells=tuple(_KEYS.get(header_key(c), c) for c in row.cells))
        yield row
