"""The rules of a community's service (DESIGN.md §3 step 4): what a needs row must be, the
specialty map's words, post assignment by wish and specialty, groups and their leaders, and
every refusal a store raises with its Chinese message. Pure: the values are in
:mod:`partyreg_core.service.model`, the solver behind :class:`~partyreg_core.service.port.AssignmentSolver`.

Post assignment
---------------

The core states the problem and judges the answer; a numerical solver behind a port
(:class:`AssignmentSolver`, provided by a plugin through ``partyreg_assignment_solver``) finds it.

The objective (decision 0040), lexicographic, over every assignment that gives each member at
most one post, each post at most its capacity (the people its needs rows ask for), and a member
only a post they claimed (a *wish*) or one their 特长 fits (the specialty map):

1. the most members on one of their wishes;
2. then the smallest sum of the wish ranks of those members (first wish = 1), so first wishes
   win over second ones;
3. then the most members on a post their specialty fits (whether or not it is also a wish).

Ties between equally good assignments are broken by the solver on the canonical order (members
by id, posts by code), so the same members and needs always give the same result, whatever
order they were read in.

Groups and leaders
------------------

Sizes (decision 0041): a post's ``n`` members make ``g = ceil(n / maximum)`` groups — the fewest
that keep every group within the maximum — of sizes ``n // g`` or ``n // g + 1`` (the larger
ones first), so sizes differ by at most one. When ``n // g`` is below the minimum no split can
meet both bounds (fewer groups break the maximum, more make them smaller still); the groups are
kept and marked ``below_minimum``.

Leaders (decision 0041): members are ranked by the rule's criteria in order, then by member id
(the stable tie-break). The ``g`` best become the leaders of groups 1..g; the others are dealt
to the groups in that same order, each to the next group with room. So each leader ranks first
in their own group, and experience is spread across the groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs

from partyreg_core.communities import Community
from partyreg_core.errors import (
    ConflictError,
    NotFoundError,
    NotPermittedError,
    PluginError,
    ValidationError,
)
from partyreg_core.posts import Post, PostCatalog
from partyreg_core.service.model import (
    AssignmentResult,
    Candidate,
    GroupMember,
    LeaderCriterion,
    LeftOver,
    Need,
    Opening,
    Placement,
    PlannedGroup,
    Score,
    SizeBounds,
    SpecialtyMap,
)
from partyreg_core.service.port import AssignmentSolver
from partyreg_core.text import clean, nfkc

# ---------------------------------------------------------------------------------------------
# The needs list
# ---------------------------------------------------------------------------------------------

#: The most people one needs row may ask for.
MAX_PEOPLE = 999
#: The longest 用途 text.
MAX_PURPOSE = 200


def check_need(need: Need) -> Need:
    """``need`` with its text cleaned, or :class:`ValidationError` naming the field and the fix."""
    if not 1 <= need.people <= MAX_PEOPLE:
        raise ValidationError(
            "needs.people", f"人数 {need.people} 不可用：应为 1–{MAX_PEOPLE} 之间的整数。"
        )
    if not 2000 <= need.year <= 2100:
        raise ValidationError("needs.year", f"年度 {need.year} 不可用：请写四位年份，如 2014。")
    # control characters go before NFKC and trimming, so the result is stable
    printable = "".join(
        ch if ch.isprintable() else (" " if ch.isspace() else "") for ch in nfkc(need.purpose)
    )
    purpose = clean(printable)
    if len(purpose) > MAX_PURPOSE:
        raise ValidationError(
            "needs.purpose", f"用途说明有 {len(purpose)} 个字，最多 {MAX_PURPOSE} 个：请精简。"
        )
    if need.start_on and need.end_on and need.end_on < need.start_on:
        raise ValidationError(
            "needs.dates",
            f"结束日期 {need.end_on} 早于开始日期 {need.start_on}：请检查 --start 和 --end。",
        )
    return attrs.evolve(need, purpose=purpose)


def need_json(need: Need) -> dict[str, Any]:
    """A needs row as plain data (its audit entries, the list as published)."""
    return {
        "id": need.id,
        "year": need.year,
        "post_code": need.post_code,
        "people": need.people,
        "purpose": need.purpose,
        "start_on": need.start_on.isoformat() if need.start_on else None,
        "end_on": need.end_on.isoformat() if need.end_on else None,
        "published_on": need.published_on.isoformat() if need.published_on else None,
    }


# ---------------------------------------------------------------------------------------------
# The specialty map
# ---------------------------------------------------------------------------------------------

#: The built-in map of 特长 words to the posts they fit (decision 0042). A word fits when it
#: occurs in the member's 特长 text. Settings (``service.specialties``) override a word's posts
#: or add words; county plugins add words through ``partyreg_register_specialties``.
DEFAULT_SPECIALTIES: Mapping[str, tuple[str, ...]] = {
    "医生": ("8",),
    "医师": ("8",),
    "护士": ("8",),
    "护理": ("8",),
    "药师": ("8",),
    "卫生": ("8",),
    "律师": ("7", "12"),
    "法律": ("7", "12"),
    "法官": ("7", "12"),
    "检察": ("7", "13"),
    "公证": ("7",),
    "调解": ("12",),
    "警察": ("11", "13"),
    "民警": ("11", "13"),
    "保安": ("11",),
    "心理": ("5", "13"),
    "社工": ("2", "5"),
    "康复": ("5",),
    "就业": ("6",),
    "人力资源": ("6",),
    "培训": ("6",),
    "党务": ("1",),
    "组织": ("1",),
    "宣传": ("3", "14"),
    "新闻": ("3", "14"),
    "记者": ("3",),
    "教师": ("14",),
    "教育": ("14",),
    "电工": ("10",),
    "维修": ("10",),
    "水电": ("10",),
    "工程": ("10",),
    "环保": ("9",),
    "园林": ("9",),
    "会计": ("4",),
    "理发": ("4",),
    "厨师": ("4",),
    "书法": ("15",),
    "绘画": ("15",),
    "摄影": ("15",),
    "音乐": ("15",),
    "舞蹈": ("15",),
    "文艺": ("15",),
    "体育": ("15",),
}


DEFAULT_SPECIALTY_MAP = SpecialtyMap.of(DEFAULT_SPECIALTIES)

#: The shared setting overriding or extending the specialty map: ``{word: [post codes]}``.
SPECIALTIES_SETTING = "service.specialties"


def specialty_map(added: Mapping[str, Iterable[str]], configured: Any) -> SpecialtyMap:
    """The map assignment uses: the built-in words, then ``added`` (the plugins' words), then
    the ``service.specialties`` setting as stored (ignored unless a mapping)."""
    result = DEFAULT_SPECIALTY_MAP.merged(added)
    if isinstance(configured, Mapping):
        result = result.merged({str(k): list(v) for k, v in configured.items()})
    return result


def check_specialty_word(word: str) -> str:
    """A 特长 word as the setting keeps it, or ``specialty.word``."""
    key = word.strip()
    if not key or len(key) > 20:
        raise ValidationError("specialty.word", f"特长词“{word}”不可用：应为 1–20 个字。")
    return key


def specialty_post(catalog: PostCatalog, text: str) -> Post:
    """The post a specialty word maps to (by code or name, any district), or ``specialty.post``."""
    post = catalog.get(text)
    if post is None:
        post = next((p for p in catalog.all() if p.code == text.strip()), None)
    if post is None:
        raise ValidationError(
            "specialty.post", f"岗位代码“{text}”不存在：用 partyreg posts list 查看。"
        )
    return post


# ---------------------------------------------------------------------------------------------
# Post assignment
# ---------------------------------------------------------------------------------------------


def post_order(code: str) -> tuple[int, int, str]:
    """Posts in code order: numeric codes by number, then the others by text."""
    return (0, int(code), "") if code.isdigit() else (1, 0, code)


def score_of(
    choice: Mapping[int, str], candidates: Iterable[Candidate], specialties: SpecialtyMap
) -> Score:
    """The objective's value of ``choice`` (member id → post code), computed from its definition."""
    met = ranks = fits = 0
    memo: dict[str, dict[str, str]] = {}
    for cand in candidates:
        post = choice.get(cand.member_id)
        if post is None:
            continue
        if post in cand.claims:
            met += 1
            ranks += cand.claims.index(post) + 1
        if cand.specialty not in memo:
            memo[cand.specialty] = specialties.fits(cand.specialty)
        if post in memo[cand.specialty]:
            fits += 1
    return Score(met, ranks, fits)


def assign_posts(
    candidates: Iterable[Candidate],
    openings: Iterable[Opening],
    specialties: SpecialtyMap,
    solver: AssignmentSolver,
    post_names: Mapping[str, str] | None = None,
) -> AssignmentResult:
    """Assign ``candidates`` to ``openings``, optimal for the module's stated objective.

    One weight per (member, post) carries the three terms at scales that keep them
    lexicographic: a specialty fit weighs 1; a wish weighs ``W - rank * R`` with ``R = n + 1``
    (more than all fits together) and ``W = (K * n + 1) * R`` (more than all ranks and fits
    together), ``n`` members, ``K`` the longest claim list. ``post_names`` names the posts
    outside the needs list in the explanations.
    """
    members = sorted({c.member_id: c for c in candidates}.values(), key=lambda c: c.member_id)
    merged: dict[str, Opening] = {}
    for op in openings:
        if op.people <= 0:
            continue
        known = merged.get(op.post_code)
        people = op.people + (known.people if known else 0)
        merged[op.post_code] = Opening(op.post_code, op.post_name, people)
    posts = sorted(merged.values(), key=lambda o: post_order(o.post_code))
    column = {o.post_code: i for i, o in enumerate(posts)}
    n = len(members)
    longest = max((len(c.claims) for c in members), default=0)
    unit_rank = n + 1
    unit_wish = (longest * n + 1) * unit_rank
    memo: dict[str, dict[str, str]] = {}
    for c in members:
        if c.specialty not in memo:
            memo[c.specialty] = specialties.fits(c.specialty)
    fits = [memo[c.specialty] for c in members]
    names = {**(post_names or {}), **{o.post_code: o.post_name for o in posts}}
    weights = [[0] * len(posts) for _ in members]
    for i, cand in enumerate(members):
        for rank, code in enumerate(cand.claims, start=1):
            if code in column:
                weights[i][column[code]] += unit_wish - rank * unit_rank
        for code in fits[i]:
            if code in column:
                weights[i][column[code]] += 1
    chosen = solver(weights, [o.people for o in posts]) if members and posts else [-1] * n
    _check_answer(chosen, weights, [o.people for o in posts])
    placements: list[Placement] = []
    left: list[LeftOver] = []
    for i, cand in enumerate(members):
        if chosen[i] < 0:
            left.append(_left_over(cand, merged, fits[i], names))
            continue
        op = posts[chosen[i]]
        wish = cand.claims.index(op.post_code) + 1 if op.post_code in cand.claims else None
        word = fits[i].get(op.post_code)
        placements.append(
            Placement(
                cand.member_id,
                cand.name,
                op.post_code,
                op.post_name,
                wish,
                word,
                _why(cand, op, wish, word, merged, names),
            )
        )
    choice = {p.member_id: p.post_code for p in placements}
    return AssignmentResult(
        tuple(placements), tuple(left), score_of(choice, members, specialties), tuple(posts)
    )


def _check_answer(
    chosen: Sequence[int], weights: Sequence[Sequence[int]], caps: Sequence[int]
) -> None:
    if len(chosen) != len(weights):
        raise ValueError("solver answered for a different number of members")
    used = [0] * len(caps)
    for i, col in enumerate(chosen):
        if col < 0:
            continue
        if weights[i][col] <= 0:
            raise ValueError("solver gave a member a post they neither claimed nor fit")
        used[col] += 1
    if any(u > c for u, c in zip(used, caps, strict=True)):
        raise ValueError("solver exceeded a post's capacity")


def _names(codes: Iterable[str], names: Mapping[str, str]) -> str:
    return "、".join(names.get(c, f"{c}号岗") for c in codes)


def _why(
    cand: Candidate,
    op: Opening,
    rank: int | None,
    word: str | None,
    openings: Mapping[str, Opening],
    names: Mapping[str, str],
) -> str:
    if rank is not None:
        text = f"第{rank}志愿{op.post_name}"
        if rank > 1:
            earlier = cand.claims[: rank - 1]
            needed = [c for c in earlier if c in openings]
            missing = [c for c in earlier if c not in openings]
            parts = []
            if needed:
                parts.append(f"{_names(needed, names)}名额已满")
            if missing:
                parts.append(f"{_names(missing, names)}本社区暂无需求")
            text += "（更靠前的志愿：" + "，".join(parts) + "）"
        if word is not None:
            text += f"；特长“{word}”也对口"
        return text
    claimed = _names(cand.claims, names) or "无"
    return f"认领的岗位（{claimed}）无空缺，按特长“{word}”安排到对口的{op.post_name}"


def _left_over(
    cand: Candidate,
    openings: Mapping[str, Opening],
    fits: Mapping[str, str],
    names: Mapping[str, str],
) -> LeftOver:
    wanted = [c for c in cand.claims if c in openings] + [
        c for c in fits if c in openings and c not in cand.claims
    ]
    if wanted:
        return LeftOver(
            cand.member_id,
            cand.name,
            "assign.full",
            f"认领或特长对口的岗位（{_names(wanted, names)}）名额已满，已按志愿和特长优先安排他人；"
            "可在需求清单中增加名额后重新分配",
        )
    claimed = _names(cand.claims, names) or "无"
    return LeftOver(
        cand.member_id,
        cand.name,
        "assign.no_need",
        f"认领的岗位（{claimed}）不在本社区需求清单中，特长也没有对口的需求岗位；"
        "可请党员改认领清单中的岗位，或在需求清单中增加该岗位",
    )


# ---------------------------------------------------------------------------------------------
# Groups and leaders
# ---------------------------------------------------------------------------------------------

DEFAULT_LEADER_RULE: tuple[LeaderCriterion, ...] = (LeaderCriterion.RANK, LeaderCriterion.HOURS)


def parse_leader_rule(text: str | Sequence[str]) -> tuple[LeaderCriterion, ...]:
    """A rule as typed (``rank,hours``) or stored (``["rank", "hours"]``)."""
    parts = text.replace("，", ",").split(",") if isinstance(text, str) else list(text)
    rule: list[LeaderCriterion] = []
    for part in parts:
        word = str(part).strip().lower()
        if not word:
            continue
        try:
            criterion = LeaderCriterion(word)
        except ValueError:
            raise ValidationError(
                "group.rule",
                f"组长规则中的“{part}”无法识别：可用 rank（职级）、hours（上年服务时长）、"
                "wish（志愿顺序），用逗号分隔，如 rank,hours。",
            ) from None
        if criterion not in rule:
            rule.append(criterion)
    return tuple(rule)


def describe_rule(rule: Sequence[LeaderCriterion]) -> str:
    """The rule in Chinese, tie-break included."""
    return "，".join([*(c.label for c in rule), "再按党员编号"])


def group_sizes(n: int, bounds: SizeBounds) -> list[int]:
    """The sizes of the groups ``n`` members make (see the module's doc)."""
    if n <= 0:
        return []
    g = -(-n // bounds.maximum)
    small, extra = divmod(n, g)
    return [small + 1] * extra + [small] * (g - extra)


def leader_key(member: GroupMember, rule: Sequence[LeaderCriterion]) -> tuple[float, ...]:
    """Sort key: smaller is a better leader."""
    key: list[float] = []
    for criterion in rule:
        if criterion is LeaderCriterion.RANK:
            key.append(0 if member.leader_level else 1)
        elif criterion is LeaderCriterion.HOURS:
            key.append(-member.hours)
        else:
            key.append(member.wish_rank if member.wish_rank is not None else 1_000)
    key.append(member.member_id)
    return tuple(key)


def _reason(member: GroupMember, rule: Sequence[LeaderCriterion]) -> str:
    parts = []
    for criterion in rule:
        if criterion is LeaderCriterion.RANK:
            parts.append(f"职级{member.rank}" if member.leader_level else "职级未达县处级")
        elif criterion is LeaderCriterion.HOURS:
            parts.append(f"上年服务{member.hours:g}小时")
        elif member.wish_rank is not None:
            parts.append(f"第{member.wish_rank}志愿")
        else:
            parts.append("按特长安排")
    parts.append(f"编号{member.member_id}")
    return "，".join(parts) + f"（规则：{describe_rule(rule)}）"


#: The shared setting naming the leader rule: ``["rank", "hours"]``.
LEADER_RULE_SETTING = "service.leader_rule"


def leader_rule(configured: Any) -> tuple[LeaderCriterion, ...]:
    """The leader rule: the ``service.leader_rule`` setting as stored, else rank, then hours."""
    if isinstance(configured, (list, str)) and configured:
        return parse_leader_rule(configured)
    return DEFAULT_LEADER_RULE


def plan_groups(
    members: Iterable[GroupMember],
    bounds: SizeBounds,
    rule: Sequence[LeaderCriterion] = DEFAULT_LEADER_RULE,
    post_names: Mapping[str, str] | None = None,
) -> list[PlannedGroup]:
    """Groups for every post the members are on, posts in code order."""
    by_post: dict[str, list[GroupMember]] = {}
    for member in {m.member_id: m for m in members}.values():
        by_post.setdefault(member.post_code, []).append(member)
    names = post_names or {}
    planned: list[PlannedGroup] = []
    for post in sorted(by_post, key=post_order):
        ranked = sorted(by_post[post], key=lambda m: leader_key(m, rule))
        sizes = group_sizes(len(ranked), bounds)
        g = len(sizes)
        slots: list[list[GroupMember]] = [[m] for m in ranked[:g]]
        k = 0
        for member in ranked[g:]:
            while len(slots[k % g]) >= sizes[k % g]:
                k += 1
            slots[k % g].append(member)
            k += 1
        label = names.get(post, f"{post}号岗")
        for number, group in enumerate(slots, start=1):
            leader = group[0]
            planned.append(
                PlannedGroup(
                    post_code=post,
                    number=number,
                    name=f"{label}第{number}组",
                    leader_id=leader.member_id,
                    member_ids=tuple(m.member_id for m in group),
                    leader_reason=_reason(leader, rule),
                    below_minimum=len(group) < bounds.minimum,
                )
            )
    return planned


# ---------------------------------------------------------------------------------------------
# Which post, which community
# ---------------------------------------------------------------------------------------------


def post_for(catalog: PostCatalog, community: Community, text: str) -> Post:
    """The post ``text`` names (its code, or its name ignoring spaces) among those valid in the
    community's district (city-wide or local), or ``needs.post``."""
    post = catalog.get(text, community.district_code)
    if post is None:
        key = "".join(text.split())
        post = next(
            (
                p
                for p in catalog.for_district(community.district_code)
                if "".join(p.name.split()) == key
            ),
            None,
        )
    if post is None:
        raise ValidationError(
            "needs.post",
            f"岗位“{text}”不是 {community.district} 可用的岗位：用 partyreg posts list "
            f"--district {community.district_code} 查看可用岗位的代码。",
        )
    return post


def community_unknown(community_id: int) -> NotFoundError:
    """No community of that id in the directory."""
    return NotFoundError(
        "community.unknown", f"没有编号为 {community_id} 的社区：用社区通讯录核对。"
    )


def no_communities() -> NotFoundError:
    """An operator who looks after no community asked for all of theirs."""
    return NotFoundError(
        "community.none",
        "你的管理范围内没有社区：请指定社区（县区/街道/社区 或编号），或用 --district 县区代码。",
    )


def service_denied(community_id: int) -> NotPermittedError:
    """Needs, assignments and groups are written by the community's own operators (community
    and instructor roles), its district and the city
    (:meth:`partyreg_core.operators.model.Scope.covers_community`)."""
    return NotPermittedError(
        "scope.denied",
        f"不能修改社区 {community_id} 的服务安排：只有该社区、其社区工作指导员、"
        "所属县区和市级操作员可以修改。",
    )


def no_solver() -> PluginError:
    """No plugin answers ``partyreg_assignment_solver``."""
    return PluginError(
        "assign.solver",
        "没有加载岗位分配的求解器插件（solver_scipy）：请检查 PARTYREG_LOAD_PLUGINS。",
    )


# ---------------------------------------------------------------------------------------------
# Refusals of the store's writes (the store raises them where its transaction finds the fact)
# ---------------------------------------------------------------------------------------------


def need_not_found(community: str, need_id: int) -> NotFoundError:
    """No needs row ``need_id`` in the list of ``community`` (its label, or ``社区 <id>``)."""
    return NotFoundError(
        "needs.not_found",
        f"{community} 的需求清单中没有编号 {need_id}：用 partyreg needs list 查看。",
    )


def needs_empty(community_id: int, year: int) -> ValidationError:
    """An empty needs list cannot be published."""
    return ValidationError(
        "needs.empty",
        f"社区 {community_id} 没有 {year} 年的需求：先用 partyreg needs add 添加再发布。",
    )


def not_on_roster(community_id: int, missing: Sequence[int]) -> ValidationError:
    """Members assigned or grouped who are not routed or reported in at the community (or not
    visible in the scope); at most ten are named."""
    return ValidationError(
        "assign.member",
        f"党员编号 {', '.join(map(str, missing[:10]))} 不是社区 {community_id} "
        "已分流或已报到的党员（或不在你的范围内）。",
    )


def check_assignments(member_ids: Sequence[int]) -> None:
    """One post per member and year (``assign.twice``)."""
    if len(set(member_ids)) != len(member_ids):
        raise ValidationError("assign.twice", "同一名党员在一年中只能有一个岗位。")


def check_grouped(member_ids: Sequence[int]) -> None:
    """One group per member and year (``group.twice``)."""
    if len(set(member_ids)) != len(member_ids):
        raise ValidationError("group.twice", "同一名党员在一年中只能在一个小组。")


def groups_in_use(used: int, year: int) -> ConflictError:
    """The year's groups are not replaced while activities were recorded under one of them."""
    return ConflictError(
        "group.in_use",
        f"已有 {used} 条活动记录登记在本社区 {year} 年的小组下，不能重新编组："
        "请先在活动记录中调整，或为下一年度编组。",
    )


def check_leader(name: str, leader_id: int | None, member_ids: Sequence[int]) -> None:
    """A group's leader is one of its members (``group.leader``)."""
    if leader_id is not None and leader_id not in member_ids:
        raise ValidationError("group.leader", f"{name}的组长必须是本组成员。")


def leader_first(leader: int | None, ids: Sequence[int]) -> tuple[int, ...]:
    """A group's member ids with the leader first (the others in their order)."""
    if leader is not None and leader in ids:
        return (leader, *(i for i in ids if i != leader))
    return tuple(ids)
