"""Speed of 附表1 row validation: find_header + data_rows + validate_registrations, end to end.

    .venv/bin/python bench/validate_bench.py                  # 100,000 rows
    .venv/bin/python bench/validate_bench.py --rows 20000 --profile

The sheet is generated in memory as the rows a reader gives (:class:`RawRow`), with
the distribution operators really produce: title rows, the form's own header (``姓 名``,
``报到\\n社区``), ~1,000 units under a few aggregators, ~500 communities in 8 districts with their
streets, names of 2–4 Chinese characters with some ``·`` names and stray spaces, mobiles with
some landlines, 认领岗位 cells such as ``3、8``, ``３，１４`` and ``社情民意收集岗``, some full-width
digits, blank rows in the middle, notes under the table, and a few percent of bad rows of every
kind the validator reports. The context is the 2014 code table plus the generated units, the 15
city-wide posts plus 淮安区's two local posts (as the example plugin registers them), and an
in-memory directory of the generated communities.

``--digest`` prints a SHA-256 of the results' reprs, so two versions of the validator can be
shown to give identical results (records, issues, order, messages) on the same sheet.

Results go to the ``validate`` section of ``bench/RESULTS.md`` (``--no-write`` to skip).

Before and after the speed-ups, 100,000 rows, the same sheet, one after the other on this 2-core
machine (shared with other jobs: numbers move by ±15% with their load):

    before (c77794a), best of 3                          9,006 rows/s   11.10 s
    after, best of 5 (median 62,755)                    65,566 rows/s    1.53 s   (7.3×)
    after, garbage collector off during the run         73,816 rows/s
    floor: data rows, records, results and the          135,359 rows/s
      duplicate check, no judging (what the interfaces cost)
    activities (ad hoc, 100,000 rows)                   24,569 → 84,247 rows/s

The results are identical: the same digest (``3ae9c0b7…``) before and after.

Where the time went (cProfile, tottime, one 100,000-row run). Before: ``re.Pattern.sub`` 2.8 s
(7.7M calls), ``text.clean`` 2.4 s (2.6M), ``text.nfkc`` 1.6 s (7.8M), ``text.compact`` 1.5 s
(1.8M: every header-repeat check keyed every cell), ``posts._post_order`` 1.2 s (1.7M: the
catalog sorted again for every row), ``normalize_text``'s per-character category check 1.0 s.
After: the row judge itself 0.76 s, ``dict.get`` 0.38 s (the memos), ``data_rows`` 0.37 s,
``re.Pattern.fullmatch`` 0.25 s (the fast paths), ``check_duplicates`` 0.21 s,
``normalize_name`` 0.18 s; what remains is mostly building the DataRow, Registration and
RegistrationResult objects and the garbage collector walking them.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import itertools
import os
import platform
import pstats
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [p for p in (str(ROOT / "src"), str(ROOT)) if p not in sys.path]

from bench.results import write_section  # noqa: E402  (path set just above)
from partyreg_core import builtin  # noqa: E402
from partyreg_core.directory import DirectoryIndex  # noqa: E402
from partyreg_core.forms import DataRow, data_rows, find_header  # noqa: E402
from partyreg_core.orgcodes import OrgCode, OrgTree, OrgUnit, parse_code  # noqa: E402
from partyreg_core.ports import RawRow  # noqa: E402
from partyreg_core.posts import Post, PostCatalog  # noqa: E402
from partyreg_core.records import (  # noqa: E402
    CommunityRef,
    DirectoryEntry,
    Gender,
    Registration,
)
from partyreg_core.registrations import (  # noqa: E402
    RegistrationContext,
    RegistrationResult,
    check_duplicates,
    validate_registrations,
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


Line = tuple[int, tuple[str, ...]]
"""A row number and the row's cells (trailing empty cells dropped), as a reader gives them."""

TODAY = date(2024, 6, 1)
HUAIAN = OrgCode(("008", "003"))
LOCAL_POSTS = (
    Post("101", "运河文化宣讲岗", HUAIAN, plugin="huaian"),
    Post("102", "周恩来精神传承岗", HUAIAN, plugin="huaian"),
)

# The 8 districts of the 2014 directory, as 附表4 writes them, and their aggregators.
DISTRICTS = (
    ("清河区", "008.001"),
    ("清浦区", "008.002"),
    ("淮安区", "008.003"),
    ("淮阴区", "008.004"),
    ("涟水县", "008.005"),
    ("洪泽县", "008.006"),
    ("盱眙县", "008.007"),
    ("金湖县", "008.008"),
)
STREET_WORDS = _words(
    "长西 长东 淮海 柳树湾 白鹭湖 水渡口 城南 清河 浦楼 钵池 和平 清江 河下 淮城 "
    "车桥 流均 王营 西坝 码头 渔沟 涟城 高沟 保滩 高良涧 朱坝 盱城 马坝 黎城 银涂 "
    "戴楼 金南 南马厂 新渡 徐杨 古清口 武墩 丁集 三树"
)
COMMUNITY_WORDS = _words(
    "新民 幸福 和平 建设 人民 解放 友谊 健康 承德 长征 东方 光明 团结 胜利 文化 "
    "繁荣 前进 朝阳 新华 向阳 翔宇 富强 民主 花园 东湖 西湖 南门 北门 大治 运河 "
    "里运河 古淮 清安 水门 五岳 都天 府前 文庙 镇淮 河畔 枚皋 萧湖 勺湖 月湖 "
    "中心 金港 银川 城北 城东 城西 城南 桃园 梨园 学府 丰登 欣和 康居 盛世"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红娥玲芬燕建国建华志强"
    "海燕文静晓东春梅国庆卫东红梅丽华永刚学军德明淑珍宏伟晨阳思远子涵浩然雨萱一鸣嘉怡"
)
MINORITY_NAMES = (
    "阿卜杜·热合曼",
    "买买提·艾力",
    "古丽·努尔",
    "阿依古丽·吐尔逊",
    "艾尔肯·吐尼亚孜",
    "迪丽·热巴",
)
NAME_DOTS = "··•・‧"
TITLES = _words(
    "科员 副科长 科长 副主任 主任 副局长 局长 干部 职员 教师 工程师 会计 办事员 "
    "一级科员 四级主任科员 副处长 处长 副书记 书记 主任科员"
)
SPECIALTIES = (
    "书法",
    "摄影",
    "法律咨询",
    "医疗保健",
    "文艺演出",
    "心理咨询",
    "电脑维修",
    "家电维修",
    "财务",
    "驾驶",
    "写作",
    "英语",
    "理发",
    "烹饪",
)
ROADS = _words(
    "健康西路 淮海南路 北京北路 翔宇大道 深圳路 承德南路 解放东路 漕运西路 "
    "大治路 人民南路 交通路 东大街 西长街 枚乘路 山阳大道 水门桥路"
)
POST_NAMES = {p.code: p.name for p in builtin.city_posts()}
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})

HEADER = (
    "单位代码",
    "姓 名",
    "性别",
    "单位及职务",
    "特长",
    "认领岗位",
    "联系方式",
    "常住住址",
    "报到\n社区",
    "社区所属街道、乡镇",
    "所属",
    "报到类型",
    "职级",
)
UNIT_AGGREGATORS = (
    # (aggregator, unit count, name pattern); the districts' own units too.
    ("008.010", 380, "市{}局机关党委"),
    ("008.009", 190, "淮安{}有限公司党委"),
    ("008.011", 150, "淮安市{}学校党总支"),
    ("008.003", 90, "淮安区{}局党委"),
    ("008.001", 70, "清河区{}局党委"),
    ("008.004", 50, "淮阴区{}局党委"),
    ("008.005", 40, "涟水县{}局党委"),
)
UNIT_WORDS = _words(
    "民政 财政 教育 卫生 交通 水利 住建 商务 审计 统计 税务 文广 体育 农业 林业 "
    "环保 公安 司法 人社 国土 规划 城管 物价 粮食 档案 供销 科技 工信 旅游 海事"
)


class World:
    """What the sheet is generated against: units, communities, and the context over them."""

    def __init__(self, rng: random.Random) -> None:
        self.units: list[OrgUnit] = []
        for aggregator, count, pattern in UNIT_AGGREGATORS:
            parent = parse_code(aggregator)
            for i in range(1, count + 1):
                word = UNIT_WORDS[i % len(UNIT_WORDS)] + (str(i // len(UNIT_WORDS)) or "")
                code = parent.child(i)
                self.units.append(OrgUnit(code, pattern.format(word)))
                if i % 10 == 0:  # a few have branches of their own (4-level codes)
                    for j in range(1, 4):
                        self.units.append(
                            OrgUnit(code.child(j), f"{pattern.format(word)}第{j}支部")
                        )
        self.retired = OrgUnit(
            parse_code("008.010.999"), "市旧局机关党委", retired_on=date(2020, 1, 1)
        )
        self.communities: list[DirectoryEntry] = []
        words = list(COMMUNITY_WORDS)
        for d, (district, code) in enumerate(DISTRICTS):
            streets = STREET_WORDS[d * 5 : d * 5 + rng.randint(5, 8)]
            for s, street in enumerate(streets):
                suffix = "镇" if s % 4 == 3 else "街道"
                for c in range(rng.randint(9, 14)):
                    # Names repeat across districts (新民社区 in 淮阴区 and in 清河区).
                    name = words[(d * 7 + s * 11 + c * 3) % len(words)] + "社区"
                    entry = DirectoryEntry(
                        district, street + suffix, name, district_code=parse_code(code)
                    )
                    self.communities.append(entry)
        # Deduplicate (district, street, community) triples.
        self.communities = list(
            {(e.district, e.street, e.community): e for e in self.communities}.values()
        )

    def context(self) -> RegistrationContext:
        """A fresh context: tree, post catalog and directory built anew."""
        tree: OrgTree = builtin.code_table()
        for unit in (*self.units, self.retired):
            tree.add(unit)
        posts = PostCatalog(builtin.city_posts())
        for post in LOCAL_POSTS:
            posts.add(post)
        return RegistrationContext(tree, posts, DirectoryIndex(self.communities), today=TODAY)


def _zipf_weights(n: int, s: float = 0.9) -> list[float]:
    return [1 / (k**s) for k in range(1, n + 1)]


def _name(rng: random.Random) -> tuple[str, str]:
    """(cell as typed, what the person is called)."""
    roll = rng.random()
    if roll < 0.015:
        stored = rng.choice(MINORITY_NAMES)
        return stored.replace("·", rng.choice(NAME_DOTS)), stored
    surname = rng.choice(SURNAMES)
    size = rng.choices((1, 2, 3), (30, 65, 5))[0]
    given = "".join(rng.choice(GIVEN) for _ in range(size))
    stored = surname + given
    if roll < 0.05 and len(stored) == 2:
        return f"{stored[0]} {stored[1]}", stored  # 张 三: spaced to line up with 3-character names
    if roll < 0.06:
        return f"{stored} ", stored
    return stored, stored


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        number = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
        if number not in used:
            used.add(number)
            break
    roll = rng.random()
    if roll < 0.03:
        return f"0517-8{rng.randrange(10**7):07d}"
    if roll < 0.04:
        return f"(0517)8{rng.randrange(10**7):07d}"
    if roll < 0.07:
        return f"{number[:3]}-{number[3:7]}-{number[7:]}"
    if roll < 0.09:
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if roll < 0.11:
        return number.translate(FULLWIDTH)
    return number


def _posts(rng: random.Random, local: bool) -> str:
    roll = rng.random()
    codes = rng.sample(range(1, 16), rng.choices((1, 2, 3), (40, 45, 15))[0])
    if local and rng.random() < 0.1:
        codes.append(101)
    if roll < 0.08:
        return POST_NAMES[str(codes[0])]
    if roll < 0.11:
        return f"{codes[0]}、{POST_NAMES[str(codes[0])]}"
    if roll < 0.17:
        return "，".join(str(c) for c in codes).translate(FULLWIDTH)
    separator = rng.choices(("、", ",", "，", " ", "；", "/"), (70, 10, 10, 5, 3, 2))[0]
    return separator.join(str(c) for c in codes)


def _unit_code(rng: random.Random, code: OrgCode) -> str:
    text = str(code)
    roll = rng.random()
    if roll < 0.04:
        return text.translate(FULLWIDTH)
    if roll < 0.06:
        return text.replace(".", "。")
    if roll < 0.08:
        return f"{text} "
    return text


# The bad rows, each a change to an otherwise good row; every kind the validator reports.
BAD_CELLS: tuple[tuple[str, str], ...] = (
    ("unit_code", "8.001"),
    ("unit_code", "8.01"),
    ("unit_code", "008.010.888"),
    ("unit_code", "008-010"),
    ("unit_code", "008.010.999"),  # retired
    ("unit_code", ""),
    ("name", "张3"),
    ("name", "李\u200b四"),
    ("name", "王.五"),
    ("name", ""),
    ("name", "赵"),
    ("gender", "未知"),
    ("gender", ""),
    ("gender", "M"),
    ("unit_and_title", ""),
    ("unit_and_title", "局" * 201),
    ("specialty", "书法" * 101),
    ("address", "路" * 201),
    ("posts", ""),
    ("posts", "99"),
    ("posts", "3、99"),
    ("posts", "岗位"),
    ("posts", "101、3"),  # 淮安区's local post: refused elsewhere
    ("phone", "1391234567"),
    ("phone", "12912345678"),
    ("phone", "0517-83601234-801"),
    ("phone", "13912345678转123"),
    ("phone", "1.39123E+10"),
    ("phone", "83601234"),
    ("phone", "暂无"),
    ("phone", ""),
    ("community", ""),
    ("street", ""),
    ("district", ""),
    ("district", "区" * 51),
    ("report_type", "出差地"),
    ("rank", "宇宙级"),
    ("report_type", "联系点"),  # without a county rank
)


class SheetMaker:
    """Makes 附表1 sheets over a :class:`World`; deterministic for a seed."""

    def __init__(self, world: World, seed: int = 20240601) -> None:
        self.world = world
        self.rng = random.Random(seed)
        units = [u for u in world.units if u.code.depth >= 3]
        self.units = units
        self.unit_weights = list(itertools.accumulate(_zipf_weights(len(units), 0.7)))
        self.communities = list(world.communities)
        self.rng.shuffle(self.communities)
        self.community_weights = list(
            itertools.accumulate(_zipf_weights(len(self.communities), 0.6))
        )

    def member(self, used: set[str]) -> dict[str, str]:
        """One good member row (canonical column -> cell text)."""
        rng = self.rng
        unit = rng.choices(self.units, cum_weights=self.unit_weights)[0]
        entry = rng.choices(self.communities, cum_weights=self.community_weights)[0]
        name, _ = _name(rng)
        unit_word = unit.name.replace("机关党委", "").replace("党委", "").replace("党总支", "")
        community, street, district = entry.community, entry.street, entry.district
        roll = rng.random()
        if roll < 0.02:
            community = f"{community[:-2]} 社区"
        elif roll < 0.03:
            community = f" {community}"
        elif roll < 0.035:
            community = community[:-2]  # 河下 for 河下社区: unresolved, with close matches
        elif roll < 0.04:
            other = rng.choice(self.communities)
            street = other.street  # under another street: unresolved
        report_type, rank = "", ""
        roll = rng.random()
        if roll < 0.10:
            report_type = "居住地"
        elif roll < 0.15:
            report_type = rng.choice(("工作地", "工作所在地"))
        elif roll < 0.16:
            report_type, rank = rng.choice(("联系点", "工作联系点")), rng.choice(("正处", "副县级"))
        elif roll < 0.18:
            rank = rng.choice(("科员", "正科", "副处"))
        return {
            "unit_code": _unit_code(rng, unit.code),
            "name": name,
            "gender": rng.choices(("男", "女", "男性", " 女 "), (55, 43, 1, 1))[0],
            "unit_and_title": f"{unit_word} {rng.choice(TITLES)}",
            "specialty": rng.choice(SPECIALTIES) if rng.random() < 0.35 else "",
            "posts": _posts(rng, entry.district_code == HUAIAN),
            "phone": _phone(rng, used),
            "address": self.address(entry.district),
            "community": community,
            "street": street,
            "district": district,
            "report_type": report_type,
            "rank": rank,
        }

    def address(self, district: str) -> str:
        rng = self.rng
        text = (
            f"{district}{rng.choice(ROADS)}{rng.randint(1, 300)}号"
            f"{rng.randint(1, 40)}幢{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
        )
        roll = rng.random()
        if roll < 0.3:
            return ""
        if roll < 0.33:
            return text.translate(FULLWIDTH)
        return text

    def rows(self, count: int, bad_share: float = 0.05) -> list[RawRow]:
        """:meth:`lines` as :class:`RawRow` values."""
        return [RawRow(number, cells) for number, cells in self.lines(count, bad_share)]

    def lines(self, count: int, bad_share: float = 0.05) -> list[Line]:
        """Title rows, the header, ``count`` member rows (``bad_share`` of them bad, plus
        repeated people and shared phones), blank rows among them, notes at the end: each a
        row number and its cells."""
        rng = self.rng
        keys = _words(
            "unit_code name gender unit_and_title specialty posts phone address "
            "community street district report_type rank"
        )
        out = [
            (1, ("全市“在职党员回社区，亮明身份作表率”活动参与党员信息登记表",)),
            (2, ("单位：", "", "", "", "", "", "2024 年 5 月 20 日")),
            (3, HEADER),
        ]
        used: set[str] = set()
        people: list[dict[str, str]] = []
        number = 4
        for i in range(count):
            roll = rng.random()
            if people and roll < 0.004:
                values = dict(rng.choice(people))  # the same person again: row.duplicate
            elif people and roll < 0.008:
                values = self.member(used)
                values["phone"] = rng.choice(people)["phone"]  # phone.shared
            else:
                values = self.member(used)
                if roll < 0.008 + bad_share:
                    key, cell = BAD_CELLS[i % len(BAD_CELLS)]
                    values[key] = cell
                else:
                    people.append(values)
            cells = [values[k] for k in keys]
            while cells and not cells[-1]:
                cells.pop()  # readers drop trailing empty cells
            out.append((number, tuple(cells)))
            number += 1
            if rng.random() < 0.002:
                number += 1  # a blank row: readers skip it, the number jumps
            if rng.random() < 0.0005:
                out.append((number, ("", " ", "")))  # blank but for spaces
                number += 1
        out.append((number + 1, ("注：1、认领岗位填写岗位代码，多个岗位用顿号分隔。",)))
        out.append((number + 2, ("填表人：", "", "审核人：")))
        return out


def run(lines: list[Line], ctx: RegistrationContext) -> list[RegistrationResult]:
    """What the bench times: header, data rows, validation and the whole-file checks.

    The sheet is kept as plain tuples (which the garbage collector stops tracking) and each
    line becomes a :class:`RawRow` as it is read, as the readers do: a list of 100,000 live
    RawRow objects, which no reader holds, would make every full collection walk them."""
    it: Iterator[RawRow] = (RawRow(number, cells) for number, cells in lines)
    header = find_header(it)
    return list(validate_registrations(data_rows(it, header), ctx))


def digest(results: list[RegistrationResult]) -> str:
    h = hashlib.sha256()
    for result in results:
        h.update(repr(result).encode())
    return h.hexdigest()


# Measured with this script on the code before the speed-ups (commit c77794a), in the same
# session as the numbers recorded below: best of 3, 100,000 rows.
BEFORE_ROWS_PER_S = 9_006
BEFORE_COMMIT = "c77794a"


def objects_only(lines: list[Line]) -> int:
    """The floor under any validator with these interfaces: header and data rows, then for
    each row the record and the result it must build, and the duplicate check — no judging."""
    code, ref = parse_code("008.010.001"), CommunityRef("淮安区", "河下街道", "河下社区")

    def build(row: DataRow) -> RegistrationResult:
        v = row.values
        record = Registration(
            code, v["name"], Gender.MALE, v["unit_and_title"], ("3",), v["phone"], ref
        )
        return RegistrationResult(row.number, record, (), (v["name"], v["phone"]))

    it: Iterator[RawRow] = (RawRow(number, cells) for number, cells in lines)
    header = find_header(it)
    return len(list(check_duplicates(map(build, data_rows(it, header)))))


def timed(repeat: int, job: Callable[[], object], *, collect: bool = True) -> list[float]:
    """Wall times of ``repeat`` runs of ``job``, each from a clean heap; the garbage collector
    on as an import runs (``collect``) or off."""
    times = []
    for _ in range(repeat):
        gc.collect()
        if not collect:
            gc.disable()
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
        gc.enable()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--profile", action="store_true", help="cProfile one run, top 25")
    parser.add_argument("--digest", action="store_true", help="print a digest of the results")
    parser.add_argument("--no-write", action="store_true", help="leave bench/RESULTS.md alone")
    args = parser.parse_args()

    started = time.perf_counter()
    world = World(random.Random(args.seed))
    lines = SheetMaker(world, args.seed).lines(args.rows)
    print(
        f"generated {args.rows:,} rows ({len(world.units)} units, "
        f"{len(world.communities)} communities) in {time.perf_counter() - started:.1f} s"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        run(lines, world.context())
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        return 0

    results: list[RegistrationResult] = run(lines, world.context())
    rows = len(results)
    ok = sum(r.ok for r in results)
    codes = Counter(i.code for r in results for i in r.issues)
    results_digest = digest(results)
    del results
    gc_on = timed(args.repeat, lambda: run(lines, world.context()))
    gc_off = timed(2, lambda: run(lines, world.context()), collect=False)
    floor = timed(2, lambda: objects_only(lines))

    def rate(seconds: float) -> str:
        return f"{rows / seconds:,.0f}"

    print(
        f"validated {rows:,} rows ({ok:,} accepted, {sum(codes.values()):,} issues "
        f"of {len(codes)} kinds):\n"
        f"  best of {args.repeat} {min(gc_on):.3f} s  {rate(min(gc_on)):>8} rows/s  "
        f"(median {rate(statistics.median(gc_on))})\n"
        f"  garbage collector off  {rate(min(gc_off)):>8} rows/s\n"
        f"  objects only, no judging {rate(min(floor)):>6} rows/s"
    )
    if args.digest:
        print("issue codes:", dict(sorted(codes.items())))
        print("digest:", results_digest)
    if not args.no_write:
        before = (
            f"| before ({BEFORE_COMMIT}, recorded) | {BEFORE_ROWS_PER_S:,} | |\n"
            if args.rows == 100_000
            else ""
        )
        body = (
            "`python bench/validate_bench.py`: `find_header` + `data_rows` + "
            "`validate_registrations` (with `check_duplicates`) over a generated, realistic "
            f"附表1 of {rows:,} rows ({rows - ok:,} rejected, {len(codes)} kinds of issue), "
            f"from the rows a reader gives to the list of results; Python "
            f"{platform.python_version()}, {os.cpu_count()} cores shared with other jobs.\n\n"
            "| | rows/s | |\n| --- | ---: | --- |\n"
            + before
            + f"| now | {rate(min(gc_on))} | best of {args.repeat}; median "
            f"{rate(statistics.median(gc_on))} |\n"
            f"| now, garbage collector off during the run | {rate(min(gc_off))} | best of 2 |\n"
            f"| floor: data rows, records and results built, no judging | {rate(min(floor))} "
            "| best of 2 |\n\n"
            f"Results digest `{results_digest[:16]}`: the same before and after the speed-ups; "
            "`tests/core/test_validation_equivalence.py` holds the fast path to the code it "
            "replaced.\n"
        )
        write_section("validate", "Row validation", body)
        print("wrote the 'validate' section of bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
