"""The built-in formats are found through the ``partyreg`` entry points, like any plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from partyreg_core.errors import ValidationError
from partyreg_core.plugins import collect_formats, make_plugin_manager
from partyreg_core.ports import ReadLimits, TableFormat
from partyreg_plugins import formats_csv, formats_xlsx
from partyreg_plugins.formats_csv import CsvFormat
from partyreg_plugins.formats_xlsx import XlsxFormat


def test_entry_points_register_both_formats() -> None:
    pm = make_plugin_manager(only=["formats_xlsx", "formats_csv"])
    formats = collect_formats(pm)
    assert sorted(f.name for f in formats) == ["csv", "xlsx"]
    assert all(isinstance(f, TableFormat) for f in formats)


def test_modules_register_through_the_hook() -> None:
    pm = make_plugin_manager([formats_xlsx, formats_csv], load_entrypoints=False)
    formats = collect_formats(pm)
    assert {type(f) for f in formats} == {XlsxFormat, CsvFormat}


def test_extensions_do_not_overlap() -> None:
    assert not set(XlsxFormat.extensions) & set(CsvFormat.extensions)


def test_each_format_refuses_the_others_files(tmp_path: Path) -> None:
    from .builders import Sheet, write_xlsx

    book = write_xlsx(tmp_path / "a.xlsx", [Sheet("S", [(1, ["x"])])])
    text = tmp_path / "a.csv"
    text.write_text("x\n", encoding="utf-8")
    limits = ReadLimits()
    XlsxFormat().sniff(book, limits)
    CsvFormat().sniff(text, limits)
    for fmt, path in ((CsvFormat(), book), (XlsxFormat(), text)):
        with pytest.raises(ValidationError):
            fmt.sniff(path, limits)
