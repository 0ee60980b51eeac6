"""The one encoding detector: whole-file detection, UTF-8 first, UTF-16 by BOM, then GB18030;
"two files joined" only for a file that really switches encoding part-way."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.textencoding import decode_text, detect_encoding, reads_as_utf8_chinese

# What a 附表1 row is made of: common Chinese (GBK has all of it), full-width and curly
# punctuation, ASCII digits and letters.
_CHINESE = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.sampled_from("，。、；：“”‘’（）《》【】—…·１２３ＡＢ"),
    st.sampled_from('0123456789abcXYZ .-,"'),
)
_LINE = st.text(_CHINESE, min_size=1, max_size=30).filter(lambda s: "\n" not in s)
_TEXT = st.lists(_LINE, min_size=1, max_size=12).map(lambda lines: "\r\n".join(lines) + "\r\n")


def detect(data: bytes, chunk: int = 7) -> str:
    """The codec for ``data``, fed in small chunks (so characters straddle chunk ends)."""
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)]
    return detect_encoding(lambda: iter(pieces), "x.csv").codec


def refused(data: bytes) -> str:
    with pytest.raises(ValidationError) as caught:
        detect(data)
    assert caught.value.code == "file.encoding"
    return caught.value.message


@given(_TEXT)
def test_gbk_chinese_text_is_gb18030_and_reads_back(text: str) -> None:
    data = text.encode("gbk")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        assume(False)  # valid UTF-8 as a whole: read as UTF-8 by design
    assert detect(data) == "gb18030"
    assert decode_text(data, "x.csv") == text


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_any_utf8_text_is_utf8(text: str) -> None:
    data = text.encode("utf-8")
    assert detect(data) == "utf-8"
    assert detect(codecs.BOM_UTF8 + data) == "utf-8-sig"
    assert decode_text(codecs.BOM_UTF8 + data, "x.csv") == text


@given(st.text(st.characters(blacklist_categories=("Cs",)), min_size=1), st.booleans())
def test_utf16_with_a_bom_is_utf16(text: str, little: bool) -> None:
    data = text.encode("utf-16-le" if little else "utf-16-be")
    bom = codecs.BOM_UTF16_LE if little else codecs.BOM_UTF16_BE
    # FF FE 00 00 — UTF-16LE's BOM then U+0000 — is UTF-32LE's BOM: ambiguous, read as UTF-32
    assume(not (bom + data).startswith(codecs.BOM_UTF32_LE))
    assert detect(bom + data) == "utf-16"
    assert decode_text(bom + data, "x.txt") == text


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


@given(st.lists(_LINE, min_size=1, max_size=5), st.lists(_LINE, min_size=1, max_size=5))
def test_utf8_then_gbk_is_refused_at_the_line_it_switches(utf8: list[str], gbk: list[str]) -> None:
    first = "".join(f"{line}\n" for line in utf8).encode("utf-8")
    then = "".join(f"{line}\n" for line in gbk).encode("gbk")
    assume(all(reads_as_utf8_chinese(line.encode()) for line in utf8))
    assume(not any(reads_as_utf8_chinese(line.encode("gbk")) for line in gbk))
    assume(any(not line.isascii() for line in gbk))
    # a GBK line whose bytes are also valid UTF-8 (丧 is C9 A5, which is ɥ) cannot be told apart
    assume(not _decodes(then, "utf-8"))
    message = refused(first + then)
    switch = len(utf8) + next(i for i, line in enumerate(gbk, 1) if not line.isascii())
    assert f"第 {switch} 行" in message and "拼在一起" in message


@given(st.binary(max_size=200))
@example(b"\xff\xfe\x00\xdc")
@example(codecs.BOM_UTF8 + "汉字".encode("gbk"))
def test_any_bytes_decode_or_are_refused_with_a_message(data: bytes) -> None:
    try:
        found = detect_encoding(lambda: [data], "x.csv")
    except ValidationError as exc:
        assert exc.code == "file.encoding" and "请" in exc.message
    else:
        data.decode(found.codec)  # what was detected really decodes


# The cases, byte for byte as Excel/WPS on Chinese Windows write them.
TITLES = [
    "“在职党员回社区 亮明身份作表率”党员信息登记表",
    "职工在职党员信息登记表（附表1），请于9月15日前报送",  # 职 is D6 B0: valid UTF-8 alone
    "位于本区的在职党员，请按“附表1”登记",  # 位 is CE BB: valid UTF-8 alone
]


@pytest.mark.parametrize("title", TITLES)
def test_a_gbk_form_with_its_title_line_is_gbk(title: str) -> None:
    text = f"{title},,,,\r\n单位：淮安市市级机关工委,,,,\r\n姓 名,性别,联系方式\r\n王建伟,男,13912345678\r\n"
    assert detect(text.encode("gbk")) == "gb18030"


def test_gb18030_only_names_read_unchanged() -> None:
    text = "姓名,性别\r\n刘䶮,男\r\n张𠀾,女\r\n"  # 䶮 and 𠀾 are not in GBK
    data = text.encode("gb18030")
    assert detect(data) == "gb18030"
    assert decode_text(data, "x.csv") == text


def test_gbk_then_utf8_is_refused_too() -> None:
    data = "姓名,电话\n张三,139\n".encode("gbk") + "李四是党员,138\n".encode()
    message = refused(data)
    assert "前面是 GB18030/GBK 编码，第 3 行起却是 UTF-8" in message


def test_utf8_bom_then_gbk_is_refused() -> None:
    data = codecs.BOM_UTF8 + "姓名电话号码\n".encode() + "李四,138\n".encode("gbk")
    assert "第 2 行" in refused(data)


def test_a_line_gb18030_cannot_read_is_named() -> None:
    assert "第 2 行" in refused("姓名\n".encode("gbk") + b"\x81\x20\n")
