"""A demo city, written as the spreadsheets operators would send.

Everything is generated from a fixed seed, so the demo is the same on every machine: the code
table of three districts' and two city work committees' units (附表2 layout), the community
directory (附表4), one unit's hand-filled 附表1 with the usual mistakes, the registrations of the
other units, and a year of activity rows (附表3) for when members have been routed to their
communities.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

import openpyxl
from openpyxl.styles import Font

FORM1_HEADER = [
    "单位代码", "姓 名", "性别", "单位及职务", "特长", "认领岗位", "联系方式", "常住住址",
    "报到\n社区", "社区所属街道、乡镇", "所属",
]  # fmt: skip
ACTIVITY_HEADER = [
    "姓名", "联系方式", "年月日", "服务（活动）内容", "服务地点", "参加人员", "服务时间（小时）",
    "评价（优/良/一般）",
]  # fmt: skip
DIRECTORY_HEADER = [
    "县区", "街道", "社区", "接收报到\n电话", "接收报到\nQQ群号", "党组织书记\n姓  名", "手机",
    "地   址",
]  # fmt: skip

# The districts of the 2014 code table that hold communities, with real street names.
STREETS = {
    ("008.003", "淮安区"): ["淮城街道", "河下街道", "山阳街道"],
    ("008.004", "淮阴区"): ["王营街道", "长江路街道", "西坝街道"],
    ("008.001", "清河区"): ["长东街道", "淮海街道", "白鹭湖街道"],
}
COMMUNITY_NAMES = [
    "文渠",
    "河下",
    "山阳",
    "府前",
    "承德",
    "北京路",
    "健康",
    "清江",
    "水渡口",
    "人民",
]
UNITS = {
    "008.010": ["市民政局机关党委", "市财政局机关党委", "市教育局机关党委", "市卫生局机关党委",
                "市司法局机关党委", "市文广新局机关党委"],
    "008.003": ["淮安区委办党支部", "淮安区人社局党支部", "淮安区卫生局党委", "淮安区司法局党支部"],
    "008.004": ["淮阴区委办党支部", "淮阴区民政局党支部", "淮阴区教育局党委"],
    "008.001": ["清河区委办党支部", "清河区城管局党支部", "清河区法院党组"],
    "008.002": ["清浦区委办党支部", "清浦区民政局党支部"],
    "008.006": ["洪泽县委办党支部", "洪泽县水利局党委"],
}  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚华建国志红玉梅晓东文斌鹏辉宇浩然"
SPECIALTIES = ["", "", "法律", "医生", "书法", "摄影", "护士", "会计", "教师", "电工", "律师"]
TITLES = ["科员", "副科长", "科长", "主任科员", "副主任", "干部"]
ACTIVITIES = [
    ("政策宣传进楼栋", 2), ("社区法律咨询", 3), ("义诊和健康讲座", 3), ("环境卫生整治", 2),
    ("走访困难家庭", 2), ("党员奉献日志愿服务", 4), ("调解邻里纠纷", 1.5), ("文体活动组织", 2.5),
]  # fmt: skip
RATINGS = ["优", "优", "良", "良", "良", "一般"]


def _save(rows: list[list[object]], path: Path, title: str | None = None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    if title:
        ws.append([title])
        ws["A1"].font = Font(bold=True, size=14)
    for row in rows:
        ws.append(row)
    for cell in ws["A"]:  # codes and phones are text, as the template asks
        cell.number_format = "@"
    wb.save(path)
    return path


def units() -> list[tuple[str, str]]:
    """The demo units: (code, name), coded under their aggregators."""
    return [
        (f"{parent}.{n:03d}", name)
        for parent, names in UNITS.items()
        for n, name in enumerate(names, start=1)
    ]


def communities() -> list[tuple[str, str, str]]:
    """(县区, 街道, 社区) of the demo directory."""
    out = []
    for (_code, district), streets in STREETS.items():
        for s, street in enumerate(streets):
            for c in range(3):
                out.append((district, street, f"{COMMUNITY_NAMES[(s * 3 + c) % 10]}社区"))
    return out


def _person(rng: random.Random, used: set[tuple[str, str]]) -> tuple[str, str]:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        phone = f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        if (name, phone) not in used:
            used.add((name, phone))
            return name, phone


def build(folder: Path, *, members_per_unit: int = 40, seed: int = 2014) -> dict[str, Path]:
    """Write the demo's spreadsheets into ``folder`` and return them by name."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    unit_list = units()
    places = communities()
    paths: dict[str, Path] = {}

    half = (len(unit_list) + 1) // 2
    codes: list[list[object]] = [["单位党组织", "代码", "单位党组织", "代码"]]
    for i in range(half):
        right = (
            [unit_list[half + i][1], unit_list[half + i][0]] if half + i < len(unit_list) else []
        )
        codes.append([unit_list[i][1], unit_list[i][0], *right])
    paths["codes"] = _save(codes, folder / "附表2-下级单位代码.xlsx", "单位党组织代码表")

    directory: list[list[object]] = [DIRECTORY_HEADER]
    for district, street, community in places:
        name, phone = _person(rng, set())
        directory.append([district, street, community, f"0517-8{rng.randrange(10**6):06d}",
                          str(rng.randrange(10**8, 10**9)), name, phone,
                          f"{street[:-2]}路{rng.randrange(1, 300)}号"])  # fmt: skip
    paths["directory"] = _save(directory, folder / "附表4-社区通讯录.xlsx", "全市城市社区通讯录")

    used: set[tuple[str, str]] = set()
    people: list[list[object]] = []
    for code, unit in unit_list:
        for _ in range(members_per_unit):
            name, phone = _person(rng, used)
            district, street, community = rng.choice(places)
            posts = "、".join(
                sorted({str(rng.randrange(1, 16)) for _ in range(rng.choice((1, 2)))})
            )
            people.append([code, name, rng.choice("男女"), f"{unit[:-4]} {rng.choice(TITLES)}",
                           rng.choice(SPECIALTIES), posts, phone,
                           f"{street[:-2]}路{rng.randrange(1, 300)}号{rng.randrange(1, 30)}幢",
                           community, street, district])  # fmt: skip

    # One unit's sheet as an operator fills it by hand: full-width digits, spaces in names and
    # phones, the note's own post style — and four mistakes to fix.
    first_code = unit_list[0][0]
    own = [row[:] for row in people if row[0] == first_code]
    own[1][0] = first_code.replace(".", "．").translate(
        str.maketrans("0123456789", "０１２３４５６７８９")
    )
    own[2][1] = " ".join(str(own[2][1]))
    own[3][6] = f"{str(own[3][6])[:3]} {str(own[3][6])[3:7]} {str(own[3][6])[7:]}"
    own[4][5] = "3、社情民意收集岗；8、医疗卫生保健岗"
    mistakes = {
        5: (0, "8.001"),  # Excel turned the code into a number
        6: (6, "1391234567"),  # a digit short
        7: (5, "治安岗"),  # not a post name
        8: (2, "M"),  # 性别 as 男 or 女
    }
    for index, (column, value) in mistakes.items():
        own[index][column] = value
    filled = [["单位：" + unit_list[0][1], *[None] * 7, "2014 年 8 月 25 日"], FORM1_HEADER, *own[:4],
              [], *own[4:], ["填表人：张明    审核人：李华    联系电话：0517-83601234"]]  # fmt: skip
    paths["unit_form1"] = _save(
        filled, folder / "附表1-市民政局机关党委.xlsx",
        "全市“在职党员回社区，亮明身份作表率”活动参与党员信息登记表",
    )  # fmt: skip
    paths["fixes"] = folder / "附表1-市民政局机关党委-待修改.xlsx"

    others = [row for row in people if row[0] != first_code]
    _add_routing_cases(others)
    paths["city_form1"] = _save([FORM1_HEADER, *others], folder / "附表1-全市汇总.xlsx")

    activities: list[list[object]] = [ACTIVITY_HEADER]
    start = date(2014, 9, 21)
    for row in people:
        for _ in range(rng.randrange(0, 6)):
            content, hours = rng.choice(ACTIVITIES)
            day = start + timedelta(days=rng.randrange(0, 85))
            activities.append([row[1], row[6], day.isoformat(), content, f"{row[8]}活动室",
                               "社区党员", hours, rng.choice(RATINGS)])  # fmt: skip
    paths["activities"] = _save(activities, folder / "附表3-活动记录-2014.xlsx")
    return paths


#: What the routing demo shows: a community written in a way the directory does not know (it
#: waits in 淮安区's queue until resolved) and a 县区 the 2014 code table does not know yet.
QUEUED_COMMUNITY = ("淮安区", "淮城街道", "文渠居委会")
UNKNOWN_DISTRICT = ("清江浦区", "长东街道", "文渠社区")


def _add_routing_cases(rows: list[list[object]]) -> None:
    # Changes cells only (the generator's random sequence, and so every other row, stays).
    by_unit: dict[object, list[list[object]]] = {}
    for row in rows:
        by_unit.setdefault(row[0], []).append(row)
    for row in by_unit["008.010.002"][:3]:  # a city-level unit's members, living in 淮安区
        row[10], row[9], row[8] = QUEUED_COMMUNITY
    by_unit["008.003.002"][0][10], by_unit["008.003.002"][0][9], by_unit["008.003.002"][0][8] = (
        QUEUED_COMMUNITY
    )
    row = by_unit["008.010.003"][0]
    row[10], row[9], row[8] = UNKNOWN_DISTRICT


def fix_errors_workbook(path: Path) -> None:
    """Correct the rejected rows the way an operator would, following the 错误说明 column."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    header = [c.value for c in ws[1]]
    fixes = {"单位代码": "008.010.001", "联系方式": None, "认领岗位": "11", "性别": "男"}
    for row in ws.iter_rows(min_row=2):
        message = str(row[header.index("错误说明")].value)
        for column, value in fixes.items():
            if f"【{column}】" in message:
                cell = row[header.index(column)]
                cell.value = value if value is not None else str(cell.value) + "8"
    wb.save(path)
