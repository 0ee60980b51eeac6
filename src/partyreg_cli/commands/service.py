"""``partyreg needs|assign|group|specialties``: a community's needs list, the year's post
assignment and the groups with leaders."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from partyreg_cli.app import App
from partyreg_cli.bulk import ask_first, bulk_options, undo_hint
from partyreg_cli.commands.dates import DAY
from partyreg_cli.output import emit_json, emit_table
from partyreg_cli.params import RECORD_ID
from partyreg_core.service.model import AssignmentRun, GroupingRun, Need, SizeBounds
from partyreg_core.service.rules import describe_rule, parse_leader_rule
from partyreg_core.workspace import Workspace

COMMUNITY = "县区/街道/社区|编号"


def _day(value: date | None) -> date | None:
    return value


def need_json(ws: Workspace, need: Need, district: Any) -> dict[str, Any]:
    """A needs row as ``needs list --json`` writes it."""
    return {
        "id": need.id,
        "community_id": need.community_id,
        "year": need.year,
        "post_code": need.post_code,
        "post": ws.service.post_name(need.post_code, district),
        "people": need.people,
        "purpose": need.purpose,
        "start_on": need.start_on.isoformat() if need.start_on else None,
        "end_on": need.end_on.isoformat() if need.end_on else None,
        "published_on": need.published_on.isoformat() if need.published_on else None,
    }


def _need_rows(ws: Workspace, rows: list[Need], district: Any) -> None:
    emit_table(
        ["编号", "年度", "岗位", "人数", "用途", "开始", "结束", "发布日期"],
        [
            (
                n.id,
                n.year,
                f"{n.post_code} {ws.service.post_name(n.post_code, district)}",
                n.people,
                n.purpose,
                n.start_on or "",
                n.end_on or "",
                n.published_on or "未发布",
            )
            for n in rows
        ],
    )


# -- needs ---------------------------------------------------------------------------------------


@click.group()
def needs() -> None:
    """社区服务需求清单：岗位、人数、用途、时间；发布后通知社区党员。"""


def _need_options(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--post", metavar="岗位", help="岗位代码或名称（本县区可用的岗位）。"),
            click.option("--people", type=int, help="需要的人数。"),
            click.option("--purpose", help="用途（做什么），最多 200 字。"),
            click.option("--start", type=DAY, help="开始日期，如 2014-09-15。"),
            click.option("--end", type=DAY, help="结束日期，如 2014-09-15。"),
            click.option("--year", type=int, help="年度（默认开始日期所在年，否则今年）。"),
            click.option("--json", "as_json", is_flag=True, help="输出 JSON。"),
        ]
    ):
        f = option(f)
    return f


@needs.command("add")
@click.argument("community", metavar=COMMUNITY)
@_need_options
@click.pass_obj
def needs_add(app: App, community: str, post: str | None, people: int | None,
              purpose: str | None, start: date | None, end: date | None,
              year: int | None, as_json: bool) -> None:  # fmt: skip
    """在社区需求清单中添加一行：partyreg needs add 社区 --post 8 --people 3 --purpose …。"""
    if post is None or people is None:
        raise click.UsageError("请用 --post 指定岗位、--people 指定人数。")
    ws = app.workspace
    need = ws.service.add_need(community, post, people, purpose=purpose or "", start=_day(start),
                       end=_day(end), year=year)  # fmt: skip
    district = ws.community(str(need.community_id)).district_code
    if as_json:
        emit_json(need_json(ws, need, district))
        return
    click.echo(
        f"已添加需求 {need.id}：{ws.service.post_name(need.post_code, district)} {need.people} 人。"
    )
    click.echo("清单有变化，请用 partyreg needs publish 重新发布。")


@needs.command("edit")
@click.argument("community", metavar=COMMUNITY)
@click.argument("need_id", type=RECORD_ID, metavar="编号")
@_need_options
@click.pass_obj
def needs_edit(app: App, community: str, need_id: int, post: str | None, people: int | None,
               purpose: str | None, start: date | None, end: date | None,
               year: int | None, as_json: bool) -> None:  # fmt: skip
    """修改需求清单中的一行（只改给出的字段；修改历史记在审计日志中）。"""
    ws = app.workspace
    need = ws.service.edit_need(community, need_id, post=post, people=people, purpose=purpose,
                        start=_day(start), end=_day(end), year=year)  # fmt: skip
    district = ws.community(str(need.community_id)).district_code
    if as_json:
        emit_json(need_json(ws, need, district))
        return
    click.echo(
        f"已修改需求 {need.id}：{ws.service.post_name(need.post_code, district)} {need.people} 人。"
    )
    click.echo("清单有变化，请用 partyreg needs publish 重新发布。")


@needs.command("remove")
@click.argument("community", metavar=COMMUNITY)
@click.argument("need_id", type=RECORD_ID, metavar="编号")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def needs_remove(app: App, community: str, need_id: int, as_json: bool) -> None:
    """删除需求清单中的一行（审计日志保留原内容）。"""
    ws = app.workspace
    need = ws.service.remove_need(community, need_id)
    if as_json:
        emit_json({"removed": need_json(ws, need, ws.community(community).district_code)})
        return
    click.echo(f"已删除需求 {need.id}。")


@needs.command("list")
@click.argument("community", metavar=COMMUNITY)
@click.option("--year", type=int, help="只列该年度（默认全部年度）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def needs_list(app: App, community: str, year: int | None, as_json: bool) -> None:
    """列出社区的服务需求清单。"""
    ws = app.workspace
    found = ws.community(community)
    rows = ws.service.needs(community, year=year)
    if as_json:
        emit_json([need_json(ws, n, found.district_code) for n in rows])
        return
    click.echo(f"{found.label} 服务需求清单：")
    _need_rows(ws, rows, found.district_code)


@needs.command("publish")
@click.argument("community", metavar=COMMUNITY)
@click.option("--year", type=int, help="年度（默认当前活动年度）。")
@click.option("--date", "on", type=DAY, help="发布日期（默认今天）。")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def needs_publish(
    app: App, community: str, year: int | None, on: date | None, as_json: bool
) -> None:
    """发布社区某年度的需求清单：记下发布日期，并通知本社区党员及其单位。"""
    ws = app.workspace
    found = ws.community(community)
    rows = ws.service.publish_needs(community, year=year, on=_day(on))
    if as_json:
        emit_json(
            {
                "community_id": found.id,
                "community": found.label,
                "published_on": rows[0].published_on.isoformat() if rows[0].published_on else None,
                "needs": [need_json(ws, n, found.district_code) for n in rows],
            }
        )
        return
    total = sum(n.people for n in rows)
    click.echo(
        f"已发布 {found.label} {rows[0].year} 年服务需求清单：{len(rows)} 项，共需 {total} 人"
        f"（发布日期 {rows[0].published_on}）。"
    )
    _need_rows(ws, rows, found.district_code)


# -- assign --------------------------------------------------------------------------------------

OBJECTIVE = "先使按志愿安排的人数最多，再使志愿顺序之和最小（第一志愿优先），再使特长对口的人数最多"


def assignment_json(run: AssignmentRun) -> dict[str, Any]:
    """``partyreg assign --json``."""
    result = run.result
    return {
        "community_id": run.community.id,
        "community": run.community.label,
        "year": run.year,
        "dry_run": run.dry_run,
        "batch_id": run.batch_id,
        "candidates": run.candidates,
        "assigned": len(result.placements),
        "written": run.written,
        "objective": {
            "wishes_met": result.score.wishes_met,
            "wish_rank_total": result.score.wish_rank_total,
            "specialty_fits": result.score.specialty_fits,
        },
        "posts": [
            {
                "post_code": o.post_code,
                "post": o.post_name,
                "capacity": o.people,
                "filled": result.filled(o.post_code),
            }
            for o in result.openings
        ],
        "placements": [
            {
                "member_id": p.member_id,
                "name": p.name,
                "post_code": p.post_code,
                "post": p.post_name,
                "wish_rank": p.wish_rank,
                "specialty_word": p.specialty_word,
                "reason": p.reason,
            }
            for p in result.placements
        ],
        "left_over": [
            {"member_id": x.member_id, "name": x.name, "code": x.code, "reason": x.reason}
            for x in result.left_over
        ],
    }


def _which(community: str | None, every: bool, district: str | None) -> list[str] | None:
    if community is not None and (every or district):
        raise click.UsageError("指定社区时不要再用 --all 或 --district。")
    if community is None and not (every or district):
        raise click.UsageError(
            "请指定社区（县区/街道/社区 或编号），或用 --all / --district 县区代码。"
        )
    return [community] if community is not None else None


@click.command("assign")
@click.argument("community", metavar=COMMUNITY, required=False)
@click.option("--all", "every", is_flag=True, help="管理范围内的所有社区。")
@click.option("--district", metavar="CODE", help="该县区的所有社区。")
@click.option("--year", type=int, help="年度（默认当前活动年度）：用该年度的需求清单。")
@bulk_options("安排岗位")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def assign(app: App, community: str | None, every: bool, district: str | None,
           year: int | None, dry_run: bool, yes: bool, as_json: bool) -> None:  # fmt: skip
    """按志愿和特长把社区党员安排到需求清单的岗位（名额以内），并说明理由。"""
    named = _which(community, every, district)
    ws = app.workspace
    ask_first(
        "保存岗位分配",
        lambda: sum(
            len(r.result.placements)
            for r in ws.service.assign_many(named, district=district, year=year, dry_run=True)
        ),
        dry_run=dry_run,
        yes=yes,
    )
    runs = ws.service.assign_many(named, district=district, year=year, dry_run=dry_run)
    if named is None:
        if as_json:
            emit_json([assignment_json(r) for r in runs])
            return
        emit_table(
            ["社区", "党员", "名额", "已安排", "未安排"],
            [(r.community.label, r.candidates, sum(o.people for o in r.result.openings),
              len(r.result.placements), len(r.result.left_over)) for r in runs],
        )  # fmt: skip
        placed = sum(len(r.result.placements) for r in runs)
        state = "试运行：没有保存" if dry_run else "已保存"
        click.echo(f"{len(runs)} 个社区，共安排 {placed} 人（{state}）。逐人理由请对单个社区运行。")
        if runs and not dry_run:
            undo_hint(runs[0].batch_id)
        return
    run = runs[0]
    if as_json:
        emit_json(assignment_json(run))
        return
    result = run.result
    click.echo(
        f"{run.community.label} {run.year} 年岗位分配：已分流或已报到的党员 {run.candidates} 人。"
    )
    if not result.openings:
        click.echo("需求清单中没有该年度的岗位：请先用 partyreg needs add 添加。")
    click.echo(f"目标：{OBJECTIVE}。")
    s = result.score
    click.echo(
        f"结果：按志愿安排 {s.wishes_met} 人（志愿顺序之和 {s.wish_rank_total}），特长对口 "
        f"{s.specialty_fits} 人；共安排 {len(result.placements)} 人，未安排 {len(result.left_over)} 人。"
    )
    if result.openings:
        emit_table(
            ["岗位", "名额", "已安排"],
            [
                (f"{o.post_code} {o.post_name}", o.people, result.filled(o.post_code))
                for o in result.openings
            ],
        )
    if result.placements:
        click.echo("")
        emit_table(
            ["编号", "姓名", "岗位", "理由"],
            [(p.member_id, p.name, p.post_name, p.reason) for p in result.placements],
        )
    if result.left_over:
        click.echo("\n未安排岗位的党员：")
        emit_table(
            ["编号", "姓名", "原因"], [(x.member_id, x.name, x.reason) for x in result.left_over]
        )
    if run.dry_run:
        click.echo("\n试运行：没有保存。")
    else:
        click.echo(f"\n已保存 {run.written} 条岗位分配（替换本社区 {run.year} 年原有的分配）；"
                   "如已编组，请重新运行 partyreg group。")  # fmt: skip
        undo_hint(run.batch_id)


# -- group ---------------------------------------------------------------------------------------


def grouping_json(ws: Workspace, run: GroupingRun) -> dict[str, Any]:
    """``partyreg group --json``."""
    ids = {(g.post_code, g.name): g.id for g in run.stored}
    return {
        "community_id": run.community.id,
        "community": run.community.label,
        "year": run.year,
        "dry_run": run.dry_run,
        "batch_id": run.batch_id,
        "bounds": {"min": run.bounds.minimum, "max": run.bounds.maximum},
        "rule": [c.value for c in run.rule],
        "rule_text": describe_rule(run.rule),
        "groups": [
            {
                "id": ids.get((g.post_code, g.name)),
                "post_code": g.post_code,
                "post": ws.service.post_name(g.post_code, run.community.district_code),
                "number": g.number,
                "name": g.name,
                "size": len(g.member_ids),
                "leader_id": g.leader_id,
                "leader": run.names.get(g.leader_id, ""),
                "leader_reason": g.leader_reason,
                "below_minimum": g.below_minimum,
                "members": [{"id": m, "name": run.names.get(m, "")} for m in g.member_ids],
            }
            for g in run.planned
        ],
    }


@click.command("group")
@click.argument("community", metavar=COMMUNITY, required=False)
@click.option("--all", "every", is_flag=True, help="管理范围内的所有社区。")
@click.option("--district", metavar="CODE", help="该县区的所有社区。")
@click.option("--size", type=int, help="每组最多 N 人（不限最少人数）。")
@click.option("--min", "minimum", type=int, help="每组最少人数（默认 3）。")
@click.option("--max", "maximum", type=int, help="每组最多人数（默认 10）。")
@click.option("--rule", help="组长规则，如 rank,hours（职级、上年服务时长、志愿顺序 wish）。")
@click.option("--year", type=int, help="年度（默认当前活动年度）：按该年度的岗位分配编组。")
@bulk_options("编组")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（完整）。")
@click.pass_obj
def group(app: App, community: str | None, every: bool, district: str | None, size: int | None,
          minimum: int | None, maximum: int | None, rule: str | None, year: int | None,
          dry_run: bool, yes: bool, as_json: bool) -> None:  # fmt: skip
    """按岗位把已分配的党员编成人数均衡的小组，并按规则确定组长。"""
    if size is not None and (minimum is not None or maximum is not None):
        raise click.UsageError("--size 与 --min/--max 只能选一种。")
    bounds = (
        SizeBounds(1, size)
        if size is not None
        else SizeBounds(minimum if minimum is not None else min(3, maximum or 10), maximum or 10)
    )
    named = _which(community, every, district)
    ws = app.workspace
    leader_rule = parse_leader_rule(rule) if rule else None
    ask_first(
        "保存服务小组",
        lambda: sum(
            len(r.planned)
            for r in ws.service.group_many(
                named, district=district, year=year, bounds=bounds, rule=leader_rule, dry_run=True
            )
        ),
        dry_run=dry_run,
        yes=yes,
    )
    runs = ws.service.group_many(named, district=district, year=year, bounds=bounds,
                         rule=leader_rule, dry_run=dry_run)  # fmt: skip
    if named is None:
        if as_json:
            emit_json([grouping_json(ws, r) for r in runs])
            return
        emit_table(
            ["社区", "小组", "编组人数"],
            [(r.community.label, len(r.planned), sum(len(g.member_ids) for g in r.planned))
             for r in runs],
        )  # fmt: skip
        state = "试运行：没有保存" if dry_run else "已保存"
        click.echo(
            f"{len(runs)} 个社区，共 {sum(len(r.planned) for r in runs)} 个小组（{state}）。"
        )
        if runs and not dry_run:
            undo_hint(runs[0].batch_id)
        return
    run = runs[0]
    if as_json:
        emit_json(grouping_json(ws, run))
        return
    click.echo(
        f"{run.community.label} {run.year} 年服务小组：每组 {run.bounds.minimum}–"
        f"{run.bounds.maximum} 人，组长规则：{describe_rule(run.rule)}。"
    )
    if not run.planned:
        click.echo(f"没有可编组的党员：请先用 partyreg assign 为 {run.year} 年分配岗位。")
        return
    emit_table(
        ["小组", "人数", "组长", "成员"],
        [
            (
                g.name + ("（不足最少人数）" if g.below_minimum else ""),
                len(g.member_ids),
                f"{run.names.get(g.leader_id, '')}（{g.leader_id}）",
                "、".join(run.names.get(m, str(m)) for m in g.member_ids[1:]),
            )
            for g in run.planned
        ],
    )
    click.echo("\n组长理由：")
    for g in run.planned:
        click.echo(f"  {g.name}：{run.names.get(g.leader_id, '')} — {g.leader_reason}")
    if run.dry_run:
        click.echo("\n试运行：没有保存。")
    else:
        click.echo(f"\n已保存 {len(run.stored)} 个小组（替换本社区 {run.year} 年原有的编组）。")
        undo_hint(run.batch_id)


# -- specialties ---------------------------------------------------------------------------------


@click.group()
def specialties() -> None:
    """特长与岗位的对应（岗位分配按特长安排时使用）。"""


@specialties.command("list")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON。")
@click.pass_obj
def specialties_list(app: App, as_json: bool) -> None:
    """列出特长词及其对口的岗位（内置、插件和市级设置合并后的结果）。"""
    mapping = app.workspace.service.specialty_map()
    if as_json:
        emit_json(mapping.as_dict())
        return
    names = {p.code: p.name for p in app.workspace.posts(all_districts=True)}
    emit_table(
        ["特长词", "对口岗位"],
        [(w, "、".join(f"{c} {names.get(c, '')}".strip() for c in p)) for w, p in mapping.words],
    )


@specialties.command("set")
@click.argument("word")
@click.argument("posts", nargs=-1)
@click.pass_obj
def specialties_set(app: App, word: str, posts: tuple[str, ...]) -> None:
    """设置特长词对口的岗位（市级操作员）：partyreg specialties set 律师 7 12；不给岗位即删除该词。"""
    mapping = app.workspace.service.set_specialty(word, posts)
    found = dict(mapping.words).get(word.strip())
    if found:
        click.echo(f"已设置：特长含“{word.strip()}”对口岗位 {'、'.join(found)}。")
    else:
        click.echo(f"已删除特长词“{word.strip()}”。")
