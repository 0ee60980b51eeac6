"""Finding the CJK font for PDFs (decision 0126): the one named, the installed Noto CJK, and a
clear Chinese refusal when there is none."""

from __future__ import annotations

from pathlib import Path

import pytest

from partyreg_core.errors import ValidationError
from partyreg_plugins import cjkfont


def test_a_named_font_that_does_not_exist_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cjkfont.ENV, "/nowhere/字体.ttf")
    with pytest.raises(ValidationError) as caught:
        cjkfont.find_cjk_font()
    assert caught.value.code == "pdf.font" and "/nowhere/字体.ttf" in caught.value.message


def test_without_any_font_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(cjkfont.ENV, raising=False)
    monkeypatch.setattr(cjkfont, "KNOWN", (str(tmp_path / "none.ttc"),))
    monkeypatch.setenv("PATH", str(tmp_path))  # no fontconfig either
    with pytest.raises(ValidationError) as caught:
        cjkfont.find_cjk_font()
    assert "fonts-noto-cjk" in caught.value.message


@pytest.mark.skipif(
    not any(Path(p).is_file() for p in cjkfont.KNOWN), reason="no CJK font installed"
)
def test_the_installed_collection_gives_its_simplified_chinese_face(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(cjkfont.ENV, raising=False)
    found = cjkfont.find_cjk_font()
    if found.path.suffix == ".ttc" and "Noto" in found.path.name:
        from fontTools.ttLib import TTCollection

        with TTCollection(str(found.path), lazy=True) as fonts:
            assert fonts.fonts[found.index]["name"].getBestFamilyName().endswith("SC")
