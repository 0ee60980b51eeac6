"""The pure rules of community service: entries, sheet numbers, tiers, rankings, pairing."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partyreg_core.errors import ValidationError
from partyreg_core.feedback.model import (
    RankingWeights,
    ServiceEntry,
    SheetInfo,
    SheetState,
    SummaryRow,
)
from partyreg_core.feedback.rules import (
    BUILTIN_KINDS,
    TIER_HOURS,
    activity_kinds,
    check_entry,
    check_kind,
    ledger_lines,
    next_tier_gap,
    parse_rating,
    parse_sheet_number,
    post_of,
    rank,
    service_tier,
    sheet_number,
    stamp_text,
    suggest_pairings,
    tier_lines,
)
from partyreg_core.records import Rating

TODAY = date(2014, 12, 1)
KINDS = activity_kinds(["楼道微治理"])


def entry(**kw: object) -> ServiceEntry:
    values: dict[str, object] = {
        "member_id": 1, "day": date(2014, 10, 1), "content": "义诊", "hours": 2.0,
        "rating": Rating.EXCELLENT,
    }  # fmt: skip
    values.update(kw)
    return ServiceEntry(**values)  # type: ignore[arg-type]


def test_the_seed_themed_days_are_built_in_and_settings_add_more() -> None:
    for themed in ("党员奉献日", "党员示范岗", "服务居民楼幢竞赛"):
        assert themed in BUILTIN_KINDS
    assert KINDS[-1] == "楼道微治理" and activity_kinds(["党员奉献日"]) == BUILTIN_KINDS
    assert check_kind(" 党员奉献日 ", KINDS) == "党员奉献日" and check_kind("", KINDS) == ""
    with pytest.raises(ValidationError) as caught:
        check_kind("广场舞", KINDS)
    assert caught.value.code == "activity.kind"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"hours": 0.0}, "activity.hours"),
        ({"hours": 24.5}, "activity.hours"),
        ({"hours": -1.0}, "activity.hours"),
        ({"day": date(2013, 12, 31)}, "activity.year"),
        ({"day": date(2014, 12, 2)}, "activity.future"),
        ({"content": "  "}, "activity.content"),
        ({"place": "地" * 201}, "activity.text"),
        ({"kind": "未知"}, "activity.kind"),
    ],
)
def test_an_entry_breaking_a_rule_is_refused_naming_it(
    changes: dict[str, object], code: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_entry(entry(**changes), year=2014, today=TODAY, kinds=KINDS)
    assert caught.value.code == code


def test_a_good_entry_passes_including_24_hours_on_today() -> None:
    check_entry(
        entry(hours=24.0, day=TODAY, kind="党员示范岗"), year=2014, today=TODAY, kinds=KINDS
    )


def test_ratings() -> None:
    assert [parse_rating(t) for t in ("优", " 良", "一般")] == list(Rating)
    with pytest.raises(ValidationError):
        parse_rating("差")


@given(
    year=st.integers(2014, 2099),
    community=st.integers(1, 10**6),
    seq=st.integers(1, 10**6),
)
def test_sheet_numbers_read_back_and_sort_within_a_community(
    year: int, community: int, seq: int
) -> None:
    number = sheet_number(year, community, seq)
    assert parse_sheet_number(number) == (year, community, seq)
    assert parse_sheet_number(
        number.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))
    ) == (
        year,
        community,
        seq,
    )
    if seq < 9999:
        assert sheet_number(year, community, seq) < sheet_number(year, community, seq + 1)


@pytest.mark.parametrize(
    "text", ["", "2014", "2014-12", "14-0001-0001", "2014-0001-x", "2014_0001_0001"]
)
def test_bad_sheet_numbers_say_the_shape(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_sheet_number(text)
    assert "2014-0012-0003" in caught.value.message


def test_stamp_names_community_secretary_and_day() -> None:
    text = stamp_text("淮安区/淮城街道/河下社区", "刘明", date(2014, 12, 18))
    assert "河下社区" in text and "刘明" in text and "2014 年 12 月 18 日" in text


@given(st.floats(0, 3000, allow_nan=False))
def test_tiers_follow_the_thresholds(hours: float) -> None:
    tier = service_tier(hours)
    assert tier == len([t for t in TIER_HOURS if hours >= t])
    gap = next_tier_gap(hours)
    if tier == 5:
        assert gap is None
    else:
        assert gap is not None and gap > 0 and service_tier(hours + gap + 1e-9) == tier + 1


def test_tier_edges_and_lines() -> None:
    assert [service_tier(h) for h in (99.99, 100, 299, 300, 600, 999, 1000, 1500, 9999)] == [
        0, 1, 1, 2, 3, 3, 4, 5, 5,
    ]  # fmt: skip
    rows = [row("1", 120.0, 3), row("2", 1500.0, 9), row("3", 10.0, 1), row("", 500.0, 1)]
    lines = tier_lines(rows, minimum=1)
    assert [(t.member_id, t.tier, t.label, t.to_next) for t in lines] == [
        (2, 5, "五星", None),
        (1, 1, "一星", 180.0),
    ]


def row(key: str, hours: float, n: int, ex: int = 0, good: int = 0, fair: int = 0,
        members: int | None = None, idle: int | None = None) -> SummaryRow:  # fmt: skip
    return SummaryRow(key, f"m{key}", hours, n, ex, good, fair, members, idle)


def test_member_scores_use_the_stated_weights() -> None:
    w = RankingWeights(hours=1, activity=2, excellent=3, good=4, fair=5)
    assert w.member_score(row("1", 10.0, 3, 1, 1, 1)) == 10 + 6 + 3 + 4 + 5
    default = RankingWeights()
    ranked = rank([row("1", 10.0, 2, 2), row("2", 12.0, 2, 0, 0, 2), row("3", 10.0, 2, 2)],
                  default.member_score)  # fmt: skip
    # 1 and 3 tie (10 + 1 + 4 = 15) ahead of 2 (12 + 1 = 13): shared rank, stable order
    assert [(r.rank, r.row.key, r.score) for r in ranked] == [
        (1, "1", 15),
        (1, "3", 15),
        (3, "2", 13),
    ]
    hours_only = RankingWeights(hours=1, activity=0, excellent=0, good=0, fair=0)
    assert rank(ranked_rows(), hours_only.member_score)[0].row.key == "2"


def ranked_rows() -> list[SummaryRow]:
    return [row("1", 10.0, 2, 2), row("2", 12.0, 2, 0, 0, 2)]


def test_community_scores_per_member_participation_excellence() -> None:
    w = RankingWeights(hours=1, participation=1, excellence=1)
    # 40 h over 4 members = 10; 3 of 4 served = 75; 2 of 8 activities 优 = 25
    assert w.community_score(row("7", 40.0, 8, 2, members=4, idle=1)) == 10 + 75 + 25
    assert w.community_score(row("8", 0.0, 0, members=0, idle=0)) == 0


def test_weights_from_settings() -> None:
    assert RankingWeights.from_setting(None) == RankingWeights()
    assert RankingWeights.from_setting({"hours": "2"}).hours == 2.0
    with pytest.raises(ValidationError):
        RankingWeights.from_setting({"speed": 1})
    with pytest.raises(ValidationError):
        RankingWeights.from_setting({"hours": "many"})


def test_post_of_prefers_group_then_assignment_then_first_claim() -> None:
    assert post_of("3", "5", "7") == "3"
    assert post_of(None, "5", "7") == "5"
    assert post_of(None, None, "7") == "7"
    assert post_of(None, None, None) == ""


def test_pairing_picks_the_communities_with_most_members_per_unit() -> None:
    counts = [("008.001", 10, 5), ("008.001", 11, 9), ("008.001", 12, 5), ("008.001", 13, 1),
              ("008.002", 10, 2)]  # fmt: skip
    pairs = suggest_pairings(counts, {10: "甲", 11: "乙"}, per_unit=3, minimum=2)
    assert [(p.unit_code, p.community_id, p.members) for p in pairs] == [
        ("008.001", 11, 9), ("008.001", 10, 5), ("008.001", 12, 5), ("008.002", 10, 2),
    ]  # fmt: skip
    assert pairs[0].community == "乙" and pairs[0].share == pytest.approx(9 / 20)
    assert pairs[2].community == "12"


def test_ledger_lines_include_members_without_service() -> None:
    sheet = SheetInfo(
        "2014-0001-0001", 1, "甲", "008.001", 2014, 1, "区/街/社", SheetState.DELIVERED
    )
    lines = ledger_lines([row("1", 5.0, 2, 2)], [sheet], {1: "008.001", 2: "008.001.001"})
    assert [(x.member_id, x.hours, x.number, x.state) for x in lines] == [
        (1, 5.0, "2014-0001-0001", "已交单位台帐"),
        (2, 0.0, "", ""),
    ]
