"""Cell normalisers: one per kind of value in the input forms (DESIGN.md §6, §9).

Each takes the text of a cell as the reader gives it (numbers as the digits they show, dates
as ISO text) and returns the stored form, or raises :class:`ValidationError` with a stable
dotted code and a Chinese message that says how to fix the cell. Every normaliser is pure and
idempotent: normalising a stored form gives it back unchanged, so a re-import changes nothing.

Values are normalised first (NFKC, so full-width digits and punctuation become half-width;
invisible characters dropped; whitespace trimmed), then judged.

Where DESIGN.md leaves room, these normalisers are lenient only where the reading is certain:
``(0517)83601234``, ``0086`` and a bare ``86`` before a mobile are read as phones; ``男性``,
``优秀``/``良好``, ``工作所在地``/``工作联系点`` and the usual wordings of 职级 (``正处``,
``副县级``, ``二级调研员``) are read as the values they mean. Free text is NFKC'd like every
other cell (§6), with line breaks read as spaces.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from enum import StrEnum

from partyreg_core.dates import not_after, parse_date
from partyreg_core.errors import ValidationError
from partyreg_core.records import Gender, Rating, ReportType
from partyreg_core.text import clean, nfkc, remove_whitespace

# ---------------------------------------------------------------------------------------------
# Free text
# ---------------------------------------------------------------------------------------------

MAX_TEXT = 200
"""The longest a free-text cell (特长, 单位及职务, 常住住址, 活动内容 …) may be, in characters."""

MAX_PLACE_NAME = 50
"""The longest a 县区, 街道 or 社区 name may be: real ones are under 20 characters."""

# Line breaks inside a cell (Alt+Enter in Excel) separate words: they become spaces, not glue.
_BREAKS = re.compile(r"[\t\n\v\f\r\x1c-\x1f\x85\u2028\u2029]+")
_SPACES = re.compile(r"\s+")

# Fast paths: cells that are already in their stored form, checked by one precompiled regex
# before the full normaliser runs. Every character these classes admit is unchanged by NFKC,
# is no control, format or whitespace character, and needs no other rewriting, so the full
# normaliser would give such a cell back unchanged (tests/core/test_validation_equivalence.py
# checks each fast path against its full normaliser).
_STABLE = "!-~\u3001\u3002\u4e00-\u9fff"  # printable ASCII, 、。, CJK unified ideographs
_PLAIN_TEXT = re.compile(f"[{_STABLE}]+(?: [{_STABLE}]+)*")


def normalize_text(text: str, *, max_length: int = MAX_TEXT) -> str:
    """Free text: NFKC, line breaks as spaces, control/format characters (zero-width, bidi)
    removed, runs of whitespace as one space, trimmed; at most ``max_length`` characters.

    ``""`` for an empty cell (whether the cell may be empty is the caller's to judge). Raise
    ``text.too_long`` beyond the limit.
    """
    if len(text) <= max_length and (not text or _PLAIN_TEXT.fullmatch(text)):
        return text  # already normal: printable, single spaces inside, none around
    return _normalize_text(text, max_length)


def is_normal_text(text: str, max_length: int = MAX_TEXT) -> bool:
    """Whether ``text`` is already in the form :func:`normalize_text` stores, so that it
    would give ``text`` back as it is (a quick check: ``False`` says only "normalise it")."""
    return len(text) <= max_length and (not text or _PLAIN_TEXT.fullmatch(text) is not None)


def _normalize_text(text: str, max_length: int) -> str:
    """:func:`normalize_text` without its fast path."""
    value = _BREAKS.sub(" ", nfkc(text))
    value = "".join(ch for ch in value if unicodedata.category(ch) not in ("Cc", "Cf"))
    value = _SPACES.sub(" ", value).strip()
    if len(value) > max_length:
        raise ValidationError(
            "text.too_long",
            f"内容有 {len(value)} 个字符，超过 {max_length} 个字符的上限：请精简后重新填写。",
        )
    return value


def normalize_place_name(text: str) -> str:
    """A 县区, 街道 or 社区 name: free text of at most :data:`MAX_PLACE_NAME` characters."""
    return normalize_text(text, max_length=MAX_PLACE_NAME)


# ---------------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------------

NAME_DOT = "·"
"""How the dot between the parts of a name (阿卜杜·热合曼) is stored."""

# The dots operators type between the parts of a name (after NFKC: ･ became ・, · stays).
_NAME_DOTS = str.maketrans(dict.fromkeys("·•・‧", NAME_DOT))
# Every CJK ideograph block, by range rather than by category, so that ideographs newer than
# Python's Unicode tables (Ext H, Ext I) are still accepted.
_CJK_RANGES = (
    (0x3400, 0x4DBF),  # Ext A
    (0x4E00, 0x9FFF),  # Unified
    (0xF900, 0xFAFF),  # Compatibility (NFKC maps most to unified ones)
    (0x20000, 0x2A6DF),  # Ext B
    (0x2A700, 0x2EE5F),  # Ext C, D, E, F, I
    (0x2F800, 0x2FA1F),  # Compatibility Supplement
    (0x30000, 0x323AF),  # Ext G, H
)
NAME_MIN, NAME_MAX = 2, 30
# A name already in its stored form: unified CJK ideographs, ``·`` between parts; and one
# that only has spaces (ASCII or ideographic) around or between its ideographs (``张 三``).
_PLAIN_NAME = re.compile("[\u4e00-\u9fff]+(?:·[\u4e00-\u9fff]+)*")
_SPACED_NAME = re.compile("[ \u3000]*[\u4e00-\u9fff]+(?:[ \u3000]+[\u4e00-\u9fff]+)*[ \u3000]*")


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is a CJK ideograph (any block)."""
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def _is_latin_letter(ch: str) -> bool:
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def _name_problem(text: str, why: str) -> ValidationError:
    return ValidationError("name.invalid", f"姓名“{text}”{why}")


def normalize_name(text: str) -> str:
    """A 姓名: Chinese characters (any CJK block) with ``·`` between the parts of a minority or
    foreign name, or Latin letters with single spaces; 2–30 characters.

    Spaces between Chinese characters are removed (``张 三`` → ``张三``); any of ``· • ・ ‧``
    is stored as ``·``. Digits, symbols, control, zero-width and bidi characters are refused
    (``name.invalid``), an empty cell is ``name.missing``.
    """
    if NAME_MIN <= len(text) <= NAME_MAX and _PLAIN_NAME.fullmatch(text):
        return text
    if _SPACED_NAME.fullmatch(text):
        value = text.replace(" ", "").replace("\u3000", "")
        if NAME_MIN <= len(value) <= NAME_MAX:
            return value
    return _normalize_name(text)


def _normalize_name(text: str) -> str:
    """:func:`normalize_name` without its fast path."""
    value = nfkc(text).translate(_NAME_DOTS)
    if not value.strip():
        raise ValidationError("name.missing", "姓名为空：请填写党员姓名。")
    for ch in value:
        category = unicodedata.category(ch)
        if ch.isspace() or is_cjk(ch):
            continue
        if category in ("Cc", "Cf", "Co", "Cs", "Cn"):
            raise _name_problem(
                text, "含有不可见字符或控制字符：请删除该单元格内容后重新输入姓名。"
            )
    value = value.strip()
    if any(is_cjk(ch) for ch in value):
        value = _chinese_name(text, value)
    else:
        value = _latin_name(text, value)
    if not NAME_MIN <= len(value) <= NAME_MAX:
        raise _name_problem(
            text, f"长度为 {len(value)} 个字符：姓名应为 {NAME_MIN}–{NAME_MAX} 个字符。"
        )
    return value


def _chinese_name(text: str, value: str) -> str:
    # Spaces between Chinese characters (and around the dot) are layout, not part of the name.
    value = remove_whitespace(value)
    for ch in value:
        if not (is_cjk(ch) or ch == NAME_DOT):
            what = "数字" if ch.isdigit() else "字母" if ch.isalpha() else "符号"
            hint = (
                "名字各部分之间请用间隔号“·”。"
                if ch in ".。-_、,"
                else "中文姓名只能由汉字组成，少数民族或外国人姓名各部分之间用“·”。"
            )
            raise _name_problem(text, f"含有{what}“{ch}”：{hint}")
    if value.startswith(NAME_DOT) or value.endswith(NAME_DOT) or NAME_DOT * 2 in value:
        raise _name_problem(text, "的间隔号“·”位置不对：它只能出现在名字的两部分之间。")
    return value


def _latin_name(text: str, value: str) -> str:
    value = _SPACES.sub(" ", value)
    for ch in value:
        if not (ch == " " or _is_latin_letter(ch)):
            what = "数字" if ch.isdigit() else "字符"
            raise _name_problem(
                text, f"含有{what}“{ch}”：姓名只能是汉字，或以单个空格分隔的拉丁字母。"
            )
    return value


# ---------------------------------------------------------------------------------------------
# Gender
# ---------------------------------------------------------------------------------------------

_GENDERS = {"男": Gender.MALE, "男性": Gender.MALE, "女": Gender.FEMALE, "女性": Gender.FEMALE}


def normalize_gender(text: str) -> Gender:
    """性别: ``男`` or ``女`` (``男性``/``女性`` accepted)."""
    gender = _GENDERS.get(text)
    return gender if gender is not None else _normalize_gender(text)


def _normalize_gender(text: str) -> Gender:
    """:func:`normalize_gender` without its fast path."""
    value = remove_whitespace(clean(text))
    if not value:
        raise ValidationError("gender.missing", "性别为空：请填写“男”或“女”。")
    try:
        return _GENDERS[value]
    except KeyError:
        raise ValidationError(
            "gender.invalid", f"性别“{text}”无法识别：请填写“男”或“女”。"
        ) from None


# ---------------------------------------------------------------------------------------------
# Phones
# ---------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
# Phones already in their stored form: 11 ASCII digits of a mobile, or AREA-LOCAL; and a
# mobile written in groups (``139-1234-5678``, ``139 1234 5678``), which is its digits.
_PLAIN_PHONE = re.compile(r"1[3-9][0-9]{9}|0(?:10|2[0-9]|[3-9][0-9]{2})-[2-9][0-9]{6,7}")
_GROUPED_MOBILE = re.compile(r"1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}")
# Area codes: 010 and 02x have three digits, the rest four (0517 淮安). Local numbers have 7 or
# 8 digits and never start with 0 or 1.
_AREA = re.compile(r"0(?:10|2\d|[3-9]\d\d)")
_LOCAL = re.compile(r"[2-9]\d{6,7}")
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹣", "-"))
_EXTENSION = re.compile(r"转|分机|ext|[x#]", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"\d(?:\.\d+)?e\+?\d+", re.IGNORECASE)
_NUMBER_CELL = re.compile(r"(\d+)\.0+")
# A landline whose leading 0 Excel dropped: area code without its 0, then the local number.
# 400/800 service numbers are not area codes.
_LOST_ZERO = re.compile(r"(?!400|800)(?:10|2\d|[3-9]\d\d)[2-9]\d{6,7}")


def is_mobile(phone: str) -> bool:
    """Whether a stored phone is a mainland mobile number (11 digits)."""
    return _MOBILE.fullmatch(phone) is not None


def normalize_phone(text: str) -> str:
    """联系方式: a mobile ``1[3-9]`` + 9 digits, stored as 11 digits, or a landline with area
    code, stored ``AREA-LOCAL`` (``0517-83601234``).

    Spaces, hyphens and a leading ``+86`` (or ``0086``) are removed first; ``(0517)83601234``
    is read as area and local number; a number cell read as ``13912345678.0`` is its digits.
    Extensions are refused (``phone.extension``), a number Excel mangled is ``phone.numeric``,
    anything else ``phone.invalid``.
    """
    if _PLAIN_PHONE.fullmatch(text):
        return text
    if _GROUPED_MOBILE.fullmatch(text):
        return text.replace("-", "").replace(" ", "")
    return _normalize_phone(text)


def _normalize_phone(text: str) -> str:
    """:func:`normalize_phone` without its fast path."""
    value = remove_whitespace(clean(text)).translate(_DASHES)
    if not value:
        raise ValidationError("phone.missing", "联系方式为空：请填写手机号或带区号的固定电话。")
    if _SCIENTIFIC.fullmatch(value):
        raise ValidationError(
            "phone.numeric",
            f"联系方式“{text}”被 Excel 显示成了科学计数法，号码已不完整："
            "请把该列设为“文本”格式后重新输入完整号码。",
        )
    number_cell = _NUMBER_CELL.fullmatch(value)
    if number_cell is not None:
        value = number_cell.group(1)
    if _EXTENSION.search(value):
        raise _extension(text)
    international = re.match(r"(?:\+|00)86-?|\(\+86\)-?", value)
    if international is not None:
        value = value[international.end() :]
    elif re.fullmatch(r"861[3-9]\d{9}", value):
        value = value[2:]
    bracketed = re.fullmatch(r"\((0?\d{2,3})\)-?(.*)", value)
    if bracketed is not None:
        value = f"{bracketed.group(1)}-{bracketed.group(2)}"
    groups = [g for g in value.split("-") if g]
    digits = "".join(groups)
    if not digits.isascii() or not digits.isdigit():
        raise ValidationError(
            "phone.invalid",
            f"联系方式“{text}”含有数字以外的字符：请只填写一个号码，"
            "如 13912345678 或 0517-83601234。",
        )
    if international is not None and not digits.startswith("0") and not _MOBILE.fullmatch(digits):
        digits = "0" + digits  # +86 517 83601234: the area code loses its 0 abroad
    if _MOBILE.fullmatch(digits):
        return digits
    landline = _landline(digits)
    if landline is not None:
        return landline
    if len(groups) >= 3 and _landline("".join(groups[:2])) is not None:
        raise _extension(text)
    if _LOCAL.fullmatch(digits):
        raise ValidationError(
            "phone.invalid",
            f"固定电话“{text}”缺少区号：请写成带区号的形式，如 0517-83601234。",
        )
    if _LOST_ZERO.fullmatch(digits):
        raise ValidationError(
            "phone.numeric",
            f"联系方式“{text}”像是丢了区号前的 0（Excel 把它当成了数字）："
            "请把该列设为“文本”格式后重新输入，如 0517-83601234。",
        )
    raise ValidationError(
        "phone.invalid",
        f"联系方式“{text}”不是有效号码：手机号为 1 开头的 11 位数字，"
        "固定电话需带区号，如 0517-83601234。",
    )


def _landline(digits: str) -> str | None:
    area = _AREA.match(digits)
    if area is None:
        return None
    local = digits[area.end() :]
    return f"{area.group()}-{local}" if _LOCAL.fullmatch(local) else None


def _extension(text: str) -> ValidationError:
    return ValidationError(
        "phone.extension",
        f"联系方式“{text}”带有分机号：请填写能直接拨通的手机号或总机号码，不要写分机。",
    )


# ---------------------------------------------------------------------------------------------
# Other contact cells of 附表4
# ---------------------------------------------------------------------------------------------


def normalize_qq_group(text: str) -> str:
    """接收报到QQ群号: 5–11 digits, not starting with 0; ``""`` for an empty cell."""
    value = remove_whitespace(clean(text))
    number_cell = _NUMBER_CELL.fullmatch(value)
    if number_cell is not None:
        value = number_cell.group(1)
    if value and not re.fullmatch(r"[1-9]\d{4,10}", value):
        raise ValidationError("qq.invalid", f"QQ群号“{text}”不对：应为 5–11 位数字，不以 0 开头。")
    return value


# ---------------------------------------------------------------------------------------------
# Dates, hours, ratings
# ---------------------------------------------------------------------------------------------


def normalize_date(text: str, *, today: date, earliest: date | None = None) -> date:
    """An activity's date (附表3 日期 column): read by the one parser
    (:func:`partyreg_core.dates.parse_date`, Excel serials included), not after ``today`` and
    not before ``earliest`` when given.

    Codes: ``date.missing``, ``date.invalid`` (not a date, or no such day), ``date.future``,
    ``date.too_early``.
    """
    value_date = parse_date(text, serial=True)
    not_after(value_date, today, fix="活动只能在发生后记录，请核对年份")
    if earliest is not None and value_date < earliest:
        raise ValidationError(
            "date.too_early",
            f"日期 {value_date.isoformat()} 早于 {earliest.isoformat()}：请核对年份。",
        )
    return value_date


MAX_HOURS = 24.0
_HOURS = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(?:个?小时|h|hr|hrs)?", re.IGNORECASE)
# a number all the same (a sign, an exponent), but never a count of hours in one day
_OTHER_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?", re.IGNORECASE)


def normalize_hours(text: str) -> float:
    """服务时间（小时）: a number greater than 0 and at most 24, rounded to 2 decimals;
    ``2``, ``1.5``, ``1.5小时``, ``2h`` and full-width digits are read."""
    value = remove_whitespace(clean(text))
    if not value:
        raise ValidationError("hours.missing", "服务时间为空：请填写小时数，如 2 或 1.5。")
    match = _HOURS.fullmatch(value)
    if match is None and _OTHER_NUMBER.fullmatch(value):
        raise ValidationError(
            "hours.invalid",
            f"服务时间“{text}”应在 0 到 24 小时之间：请填写一天内实际的小时数，如 2 或 1.5。",
        )
    if match is None:
        raise ValidationError(
            "hours.invalid", f"服务时间“{text}”不是数字：请只填写小时数，如 2 或 1.5。"
        )
    exact = float(match.group(1))
    hours = round(exact, 2)
    if hours <= 0:
        raise ValidationError("hours.invalid", f"服务时间“{text}”应大于 0：请填写实际小时数。")
    if exact > MAX_HOURS:  # before rounding: 24.004 is over 24, not 24
        raise ValidationError(
            "hours.invalid",
            f"服务时间“{text}”超过 24 小时：一行只记一天内的活动，跨天的活动请按天分行。",
        )
    return hours


_RATINGS = {
    "优": Rating.EXCELLENT,
    "优秀": Rating.EXCELLENT,
    "良": Rating.GOOD,
    "良好": Rating.GOOD,
    "一般": Rating.FAIR,
}


def normalize_rating(text: str) -> Rating:
    """评价: ``优``, ``良`` or ``一般`` (``优秀``/``良好`` accepted)."""
    rating = _RATINGS.get(text)
    return rating if rating is not None else _normalize_rating(text)


def _normalize_rating(text: str) -> Rating:
    """:func:`normalize_rating` without its fast path."""
    value = remove_whitespace(clean(text))
    if not value:
        raise ValidationError("rating.missing", "评价为空：请填写“优”“良”或“一般”。")
    try:
        return _RATINGS[value]
    except KeyError:
        raise ValidationError(
            "rating.invalid", f"评价“{text}”无法识别：只能填写“优”“良”或“一般”。"
        ) from None


_FLAGS = {"是": True, "y": True, "yes": True, "√": True, "否": False, "n": False, "no": False}


def normalize_flag(text: str) -> bool:
    """A yes/no cell (``自报``): ``是``/``√``/``Y`` or ``否``/``N``; empty is no."""
    value = remove_whitespace(clean(text)).casefold()
    if not value:
        return False
    try:
        return _FLAGS[value]
    except KeyError:
        raise ValidationError("flag.invalid", f"“{text}”无法识别：请填写“是”或“否”。") from None


# ---------------------------------------------------------------------------------------------
# Report type and rank
# ---------------------------------------------------------------------------------------------

_REPORT_TYPES = {
    "居住地": ReportType.RESIDENCE,
    "居住地社区": ReportType.RESIDENCE,
    "工作地": ReportType.WORKPLACE,
    "工作所在地": ReportType.WORKPLACE,
    "工作地社区": ReportType.WORKPLACE,
    "其他": ReportType.OTHER,
    "其它": ReportType.OTHER,
    "其他社区": ReportType.OTHER,
    "联系点": ReportType.CONTACT_POINT,
    "工作联系点": ReportType.CONTACT_POINT,
    "联系点社区": ReportType.CONTACT_POINT,
}


def normalize_report_type(text: str) -> ReportType:
    """报到类型: 居住地, 工作地, 其他 or 联系点 (the seed's longer wordings too); empty is
    居住地."""
    if not text:
        return ReportType.RESIDENCE
    report_type = _REPORT_TYPES.get(text)
    return report_type if report_type is not None else _normalize_report_type(text)


def _normalize_report_type(text: str) -> ReportType:
    """:func:`normalize_report_type` without its fast path."""
    value = remove_whitespace(clean(text))
    if not value:
        return ReportType.RESIDENCE
    try:
        return _REPORT_TYPES[value]
    except KeyError:
        raise ValidationError(
            "report_type.invalid",
            f"报到类型“{text}”无法识别：请填写 居住地、工作地、其他 或 联系点（不填即为居住地）。",
        ) from None


class Rank(StrEnum):
    """职级, in the coarse levels that matter here: who may report at a contact point."""

    BELOW_COUNTY = "县处级以下"
    COUNTY_DEPUTY = "县处级副职"
    COUNTY = "县处级正职"
    BUREAU_DEPUTY = "厅局级副职"
    BUREAU = "厅局级正职"
    PROVINCE = "省部级及以上"

    @property
    def at_least_county(self) -> bool:
        """Whether the rank is 县处级 or above (may report at a 工作联系点 community)."""
        return self is not Rank.BELOW_COUNTY


def _rank_words(rank: Rank, *words: str) -> dict[str, Rank]:
    return {w: rank for w in (rank.value, *words)}


# The wordings units write: leading posts (正处, 副县级), the pre-2019 non-leading posts
# (调研员, 巡视员) and the 2019 ranks (一级调研员 …).
_RANKS = {
    **_rank_words(
        Rank.BELOW_COUNTY,
        "乡科级",
        "乡科级正职",
        "乡科级副职",
        "科级",
        "正科",
        "正科级",
        "副科",
        "副科级",
        "科员",
        "办事员",
        "主任科员",
        "副主任科员",
        "一级主任科员",
        "二级主任科员",
        "三级主任科员",
        "四级主任科员",
        "一级科员",
        "二级科员",
        "无",
    ),
    **_rank_words(
        Rank.COUNTY_DEPUTY,
        "副处",
        "副处级",
        "副县",
        "副县级",
        "副县处级",
        "副调研员",
        "三级调研员",
        "四级调研员",
    ),
    **_rank_words(
        Rank.COUNTY,
        "县处级",
        "处级",
        "县级",
        "正处",
        "正处级",
        "正县",
        "正县级",
        "调研员",
        "一级调研员",
        "二级调研员",
    ),
    **_rank_words(
        Rank.BUREAU_DEPUTY,
        "副厅",
        "副厅级",
        "副局",
        "副局级",
        "副地厅级",
        "副巡视员",
        "二级巡视员",
    ),
    **_rank_words(
        Rank.BUREAU,
        "厅局级",
        "厅级",
        "局级",
        "地厅级",
        "正厅",
        "正厅级",
        "正局",
        "正局级",
        "巡视员",
        "一级巡视员",
    ),
    **_rank_words(Rank.PROVINCE, "省部级", "副部级", "正部级", "省部级副职", "省部级正职"),
}


def normalize_rank(text: str) -> Rank | None:
    """职级: one of :class:`Rank`, from the usual wordings (``正处``, ``副县级``, ``二级调研员``);
    ``None`` for an empty cell."""
    if not text:
        return None
    rank = _RANKS.get(text)
    return rank if rank is not None else _normalize_rank(text)


def _normalize_rank(text: str) -> Rank | None:
    """:func:`normalize_rank` without its fast path."""
    value = remove_whitespace(clean(text))
    if not value:
        return None
    try:
        return _RANKS[value]
    except KeyError:
        raise ValidationError(
            "rank.invalid",
            f"职级“{text}”无法识别：请填写 县处级以下、县处级副职、县处级正职、厅局级副职、"
            "厅局级正职 或 省部级及以上（也可写 正处、副县级 等）。",
        ) from None
