"""Finding a CJK font to embed in PDFs (certificates).

Debian's ``fonts-noto-cjk`` ships Noto Serif/Sans CJK as OpenType collections with CFF
outlines; fpdf2 (2.8) embeds those as a subset CID font, as it does TrueType fonts
(decision 0126). The font is looked for in this order: the ``PARTYREG_CJK_FONT`` file (for
a machine with its fonts elsewhere), fontconfig's answer for Simplified Chinese, then the
usual places of Noto CJK, Source Han and WenQuanYi. Without one, a clear Chinese message
says what to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import attrs

from partyreg_core.errors import ValidationError

ENV = "PARTYREG_CJK_FONT"
#: Known files, best first (a serif face suits an official paper).
KNOWN = (
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/source-han-serif/SourceHanSerif-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
_SUFFIXES = (".ttf", ".otf", ".ttc", ".otc")


@attrs.frozen
class FontFile:
    """A font to embed: the file and, in a collection, the face's number."""

    path: Path
    index: int = 0


def missing_font() -> ValidationError:
    """The refusal when no CJK font is installed."""
    return ValidationError(
        "pdf.font",
        "没有找到可嵌入 PDF 的中文字体：请安装 Noto CJK 字体（Debian/Ubuntu：apt-get install "
        f"fonts-noto-cjk），或用环境变量 {ENV} 指定一个 .ttf/.otf/.ttc 中文字体文件。",
    )


def simplified_face(path: Path) -> int:
    """In a collection, the number of the Simplified Chinese face (``… SC``), else 0."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(str(path), lazy=True) as collection:
        for number, face in enumerate(collection.fonts):
            family = face["name"].getBestFamilyName() or ""
            if family.endswith((" SC", "SC")) or "GB" in family or "Simplified" in family:
                return number
    return 0


def _fontconfig() -> list[Path]:
    if shutil.which("fc-list") is None:
        return []
    try:
        done = subprocess.run(
            ["fc-list", ":lang=zh-cn:style=Regular", "file"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return []
    found = [Path(line.split(":")[0].strip()) for line in done.stdout.splitlines() if line]
    # serif before sans, Noto before the rest: what an official paper would use
    return sorted(
        (p for p in found if p.suffix.lower() in _SUFFIXES),
        key=lambda p: ("Serif" not in p.name, "Noto" not in p.name, p.name),
    )


def find_cjk_font() -> FontFile:
    """The CJK font to embed (see the module's doc); :func:`missing_font` when none."""
    named = os.environ.get(ENV, "").strip()
    if named:
        path = Path(named)
        if not path.is_file() or path.suffix.lower() not in _SUFFIXES:
            raise ValidationError(
                "pdf.font",
                f"环境变量 {ENV} 指定的字体文件“{named}”不存在或不是 .ttf/.otf/.ttc 字体。",
            )
        return FontFile(path, simplified_face(path))
    for path in [*(Path(p) for p in KNOWN), *_fontconfig()]:
        if path.is_file():
            return FontFile(path, simplified_face(path))
    raise missing_font()
