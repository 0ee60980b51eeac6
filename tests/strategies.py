"""Hypothesis strategies for the input forms: phones, names, codes, claims cells, whole rows.

Each strategy that produces a *valid* cell produces ``(cell as typed, stored form)`` pairs, so
tests can assert the exact stored value. Whole rows are generated against :func:`world`, a
small city (the 2014 code table plus a few units, the 15 posts plus a local one, a directory)
that the strings of the rows agree with.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import attrs
from hypothesis import strategies as st

from partyreg_core import builtin
from partyreg_core.directory import DirectoryIndex
from partyreg_core.forms import DataRow, FormKind
from partyreg_core.orgcodes import OrgTree, OrgUnit, parse_code
from partyreg_core.posts import Post, PostCatalog
from partyreg_core.records import DirectoryEntry
from partyreg_core.registrations import RegistrationContext

DIGITS = "0123456789"
TODAY = date(2024, 6, 1)

# ---------------------------------------------------------------------------------------------
# Width and spacing variants
# ---------------------------------------------------------------------------------------------


def fullwidth(text: str) -> str:
    """``text`` with ASCII turned into its full-width form (what a Chinese IME types)."""
    return "".join(
        "\u3000" if ch == " " else chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text
    )


def digits(n: int, first: str = DIGITS) -> st.SearchStrategy[str]:
    """``n`` ASCII digits, the first drawn from ``first``."""
    return st.tuples(
        st.sampled_from(first), st.text(alphabet=DIGITS, min_size=n - 1, max_size=n - 1)
    ).map("".join)


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------

mobile_numbers = st.tuples(st.just("1"), st.sampled_from("3456789"), digits(9)).map("".join)
"""Stored mobiles: 11 digits, ``1[3-9]``."""

AREA_CODES = ("010", "020", "021", "025", "0517", "0512", "0871", "0991")
landline_numbers = st.builds(
    lambda area, local: f"{area}-{local}",
    st.sampled_from(AREA_CODES),
    st.one_of(digits(7, "23456789"), digits(8, "23456789")),
)
"""Stored landlines: ``AREA-LOCAL``."""


@st.composite
def typed_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """A mobile as operators type it, with the stored form."""
    number = draw(mobile_numbers)
    style = draw(st.sampled_from(["plain", "344", "spaces", "+86", "0086", "cell", "wide"]))
    typed = {
        "plain": number,
        "344": f"{number[:3]}-{number[3:7]}-{number[7:]}",
        "spaces": f"{number[:3]} {number[3:7]} {number[7:]}",
        "+86": f"+86 {number}",
        "0086": f"0086-{number}",
        "cell": f"{number}.0",
        "wide": fullwidth(f"{number[:3]}-{number[3:]}"),
    }[style]
    return typed, number


@st.composite
def typed_landlines(draw: st.DrawFn) -> tuple[str, str]:
    """A landline as operators type it, with the stored form."""
    stored = draw(landline_numbers)
    area, local = stored.split("-")
    style = draw(st.sampled_from(["plain", "glued", "brackets", "+86", "spaces", "wide"]))
    typed = {
        "plain": stored,
        "glued": area + local,
        "brackets": f"({area}){local}",
        "+86": f"+86-{area[1:]}-{local}",
        "spaces": f"{area} {local[:4]} {local[4:]}",
        "wide": fullwidth(stored),
    }[style]
    return typed, stored


typed_phones = st.one_of(typed_mobiles(), typed_landlines())
"""Any valid phone cell, with its stored form."""

invalid_phones = st.one_of(
    digits(11, "1").filter(lambda s: s[1] in "012"),  # 10/11/12 are no mobile prefixes
    digits(10, "1"),
    digits(12, "1"),
    digits(8, "23456789"),  # a local number without its area code
    landline_numbers.map(lambda s: f"{s}-8{len(s) % 10}1"),  # extension
    mobile_numbers.map(lambda s: f"{s}转123"),
    st.sampled_from(["无", "暂无", "13912345678/13812345678", "400-800-1234", "1.39123E+10"]),
)
"""Phone cells that are never valid."""

# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

# A sample of CJK ideographs from several blocks: unified, Ext A, Ext B.
cjk_chars = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5),
    st.characters(min_codepoint=0x3400, max_codepoint=0x4DB5),
    st.characters(min_codepoint=0x20000, max_codepoint=0x2A6D6),
)
NAME_DOTS = "·•・‧"


@st.composite
def typed_chinese_names(draw: st.DrawFn) -> tuple[str, str]:
    """A Chinese name, maybe with ``·`` between parts and stray spaces, with its stored form."""
    parts = draw(
        st.lists(st.text(cjk_chars, min_size=1, max_size=5), min_size=1, max_size=3).filter(
            lambda ps: 2 <= sum(map(len, ps)) + len(ps) - 1 <= 30
        )
    )
    stored = "·".join(parts)
    dots = [draw(st.sampled_from(NAME_DOTS)) for _ in parts[1:]]
    typed = parts[0] + "".join(d + p for d, p in zip(dots, parts[1:], strict=True))
    if draw(st.booleans()) and len(typed) > 1:
        at = draw(st.integers(1, len(typed) - 1))
        typed = typed[:at] + draw(st.sampled_from([" ", "\u3000", "  "])) + typed[at:]
    return typed, stored


latin_words = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéü"),
    min_size=1,
    max_size=8,
)


@st.composite
def typed_latin_names(draw: st.DrawFn) -> tuple[str, str]:
    """A Latin-letter name with single spaces between words, with its stored form."""
    words = draw(
        st.lists(latin_words, min_size=1, max_size=3).filter(
            lambda ws: 2 <= len(" ".join(ws)) <= 30
        )
    )
    stored = " ".join(words)
    typed = draw(st.sampled_from(["  ", " "])).join(words)
    return typed, stored


typed_names = st.one_of(typed_chinese_names(), typed_chinese_names(), typed_latin_names())
"""Any valid name cell, with its stored form (mostly Chinese, as in the field)."""

NAME_POISON = ("3", "8", "@", "#", ".", "\u200b", "\u202e", "\x07", "_", "(", "!", "?")


@st.composite
def invalid_names(draw: st.DrawFn) -> str:
    """A valid name with a digit, symbol, zero-width, bidi or control character put inside."""
    typed, _ = draw(typed_names)
    at = draw(st.integers(0, len(typed)))
    return typed[:at] + draw(st.sampled_from(NAME_POISON)) + typed[at:]


# ---------------------------------------------------------------------------------------------
# The world rows are generated for
# ---------------------------------------------------------------------------------------------

HUAIAN_DISTRICT = parse_code("008.003")
LOCAL_POST = Post("101", "运河文化宣讲岗", HUAIAN_DISTRICT, plugin="huaian")
UNITS = (
    OrgUnit(parse_code("008.010.001"), "市民政局机关党委"),
    OrgUnit(parse_code("008.010.002"), "市财政局机关党委"),
    OrgUnit(parse_code("008.003.001"), "淮安区教育局党委"),
    OrgUnit(parse_code("008.003.001.001"), "淮安区实验小学党支部"),
)
DIRECTORY = (
    DirectoryEntry("淮安区", "河下街道", "河下社区", district_code=parse_code("008.003")),
    DirectoryEntry("淮安区", "淮城街道", "新城社区", district_code=parse_code("008.003")),
    DirectoryEntry("淮阴区", "王营街道", "新民社区", district_code=parse_code("008.004")),
    DirectoryEntry("清河区", "长西街道", "新民社区", district_code=parse_code("008.001")),
    DirectoryEntry(
        "淮安经济技术开发区", "钵池街道", "新港社区", district_code=parse_code("008.012")
    ),
)


@attrs.frozen(eq=False)
class World:
    """A small city: org tree, post catalog and directory, and the context built on them."""

    tree: OrgTree
    posts: PostCatalog
    directory: DirectoryIndex

    def context(self, **changes: object) -> RegistrationContext:
        """A registration context over this world (``changes`` override its fields)."""
        ctx = RegistrationContext(self.tree, self.posts, self.directory, today=TODAY)
        return attrs.evolve(ctx, **changes)


def world() -> World:
    """A fresh :class:`World`."""
    tree = builtin.code_table()
    for unit in UNITS:
        tree.add(unit)
    posts = PostCatalog(builtin.city_posts())
    posts.add(LOCAL_POST)
    return World(tree, posts, DirectoryIndex(DIRECTORY))


unit_codes = st.sampled_from(
    ["008.010", "008.011", "008.003", *(str(u.code) for u in UNITS)]
).flatmap(lambda c: st.sampled_from([c, fullwidth(c), c.replace(".", "。"), f" {c} "]))
"""Unit code cells that exist in :func:`world`'s tree (as typed: full-width, 。, spaces)."""

numeric_codes = st.sampled_from(["8.001", "8.01", "8", "8.010001", "８．００１"])
"""Codes as Excel shows them once it took them for numbers."""

SEPARATORS = (",", "，", "、", ";", "；", "/", " ", " 、 ")


@st.composite
def claims_cells(draw: st.DrawFn, local: bool = False) -> tuple[str, tuple[str, ...]]:
    """A 认领岗位 cell of city-wide posts (and the local post 101 when ``local``), with the
    codes it stores: in the order written, repeats collapsed."""
    names = {p.code: p.name for p in builtin.city_posts()}
    codes = draw(st.lists(st.sampled_from(sorted(names, key=int)), min_size=1, max_size=4))
    if local and draw(st.booleans()):
        codes.insert(draw(st.integers(0, len(codes))), "101")
        names["101"] = LOCAL_POST.name
    tokens = []
    for code in codes:
        style = draw(st.sampled_from(["code", "wide", "name", "both", "zero"]))
        tokens.append(
            {
                "code": code,
                "wide": fullwidth(code),
                "name": names[code],
                "both": f"{code}、{names[code]}" if code != "101" else code,
                "zero": f"0{code}",
            }[style]
        )
    cell = tokens[0]
    for token in tokens[1:]:
        cell += draw(st.sampled_from(SEPARATORS)) + token
    return cell, tuple(dict.fromkeys(codes))


# ---------------------------------------------------------------------------------------------
# Whole 附表1 rows
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class GeneratedRow:
    """A generated 附表1 row and what it must be stored as."""

    row: DataRow
    name: str
    phone: str
    posts: tuple[str, ...]
    community: DirectoryEntry


long_text = st.text(st.sampled_from("街道社区服务党员"), min_size=201, max_size=260)


@st.composite
def registration_rows(draw: st.DrawFn, number: int = 5) -> GeneratedRow:
    """A valid 附表1 row for :func:`world`, with at least one city-wide post claimed (so that
    an unresolved community never leaves it without posts)."""
    entry = draw(st.sampled_from(DIRECTORY))
    local = entry.district_code == HUAIAN_DISTRICT
    claims, posts = draw(claims_cells(local=local).filter(lambda c: c[1] != ("101",)))
    name_cell, name = draw(typed_names)
    phone_cell, phone = draw(typed_phones)
    values = {
        "unit_code": draw(unit_codes),
        "name": name_cell,
        "gender": draw(st.sampled_from(["男", "女", " 女 ", "男性"])),
        "unit_and_title": draw(st.sampled_from(["市民政局 科员", "淮安区教育局　副局长"])),
        "specialty": draw(st.sampled_from(["", "书法", "法律咨询"])),
        "posts": claims,
        "phone": phone_cell,
        "address": draw(st.sampled_from(["", "淮安区河下古镇 1 号"])),
        "community": draw(st.sampled_from([entry.community, f" {entry.community}"])),
        "street": entry.street,
        "district": entry.district,
    }
    if draw(st.booleans()):
        values["report_type"] = draw(st.sampled_from(["", "居住地", "工作地", "其它"]))
        values["rank"] = draw(st.sampled_from(["", "科员", "正处"]))
    row = DataRow.of(FormKind.REGISTRATIONS, number, values)
    return GeneratedRow(row, name, phone, posts, entry)


# For each column, cells that make exactly that column invalid in any generated row.
CORRUPTIONS: dict[str, st.SearchStrategy[str]] = {
    "unit_code": st.one_of(numeric_codes, st.sampled_from(["999.999", "008.099", "abc", ""])),
    "name": invalid_names(),
    "gender": st.sampled_from(["", "M", "未知", "男女"]),
    "unit_and_title": st.one_of(st.just(""), long_text),
    "specialty": long_text,
    "posts": st.sampled_from(["", "99", "3、99", "岗位", "0"]),
    "phone": invalid_phones,
    "address": long_text,
    "community": st.sampled_from(["", "社" * 51]),
    "street": st.sampled_from(["", "街" * 51]),
    "district": st.sampled_from(["", "区" * 51]),
    "report_type": st.sampled_from(["出差地", "单位"]),
    "rank": st.sampled_from(["宇宙级", "处长级别"]),
}


def corrupt(row: DataRow, key: str, cell: str) -> DataRow:
    """``row`` with column ``key`` set to ``cell``."""
    return attrs.evolve(row, values={**row.values, key: cell})


def text_strategy(
    alphabet: str = "0123456789０１２３-－/．.年月日号 :T+()（）转xa男女优良一般",
) -> st.SearchStrategy[str]:
    """Garbage close to real cells (digits, separators, date words) plus arbitrary text."""
    return st.one_of(st.text(alphabet, max_size=20), st.text(max_size=20))


def stored_roundtrip(normalizer: Callable[[str], object]) -> Callable[[object], object]:
    """``value -> normalizer(str(value))``: what a stored value normalises to."""
    return lambda value: normalizer(str(value))
