"""Render the first page of every form the demo exported, as printed (``make forms-png``).

LibreOffice converts each workbook of ``DEMO/导出`` to PDF in one run; pdftoppm turns the
first page into ``docs/forms/NAME.png``. Needs ``soffice`` and ``pdftoppm``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: Exported workbook → the PNG's name under docs/forms/.
FORMS = {
    "附表1-市民政局机关党委.xlsx": "form1",
    "附表1-带服务情况-008.010.006.xlsx": "form1-with-service",
    "附表2-单位党组织代码表.xlsx": "form2",
    "附表3-实绩反馈单.xlsx": "form3",
    "附表4-社区通讯录-通报用.xlsx": "form4",
    "进度通报.xlsx": "circular",
    "台帐-008.010.001.xlsx": "ledger",
    "模板-附表1-市文广新局机关党委.xlsx": "template-form1",
    "模板-活动记录.xlsx": "template-activities",
    "社区服务需求清单.xlsx": "needs",
}


def to_pdf(files: list[Path], outdir: Path) -> None:
    """Convert ``files`` to PDF in ``outdir`` with one LibreOffice run."""
    profile = outdir / "profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--convert-to", "pdf", "--outdir", str(outdir), *map(str, files)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo", type=Path, default=Path("demo-out"))
    parser.add_argument("--out", type=Path, default=Path("docs/forms"))
    args = parser.parse_args(argv)
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        print("forms-png: 需要 LibreOffice（soffice）和 poppler（pdftoppm）。", file=sys.stderr)
        return 2
    exports = args.demo / "导出"
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = []
        for source, name in FORMS.items():
            copy = work / f"{name}.xlsx"  # ASCII names for the renderer and the PNGs
            shutil.copy(exports / source, copy)
            files.append(copy)
        to_pdf(files, work)
        for path in files:
            pdf = path.with_suffix(".pdf")
            target = args.out / path.stem
            subprocess.run(
                ["pdftoppm", "-f", "1", "-l", "1", "-r", "70", "-png", "-singlefile",
                 str(pdf), str(target)],
                check=True, timeout=120,
            )  # fmt: skip
            print(f"{target}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
