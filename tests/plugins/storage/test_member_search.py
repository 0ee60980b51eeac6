"""Finding members as operators type (``MemberQuery.text``), the unresolved-community filter,
counts by unit and status, and the audit log newest first — on every backend."""

from __future__ import annotations

from partyreg_core.audit import AuditQuery
from partyreg_core.members.model import MemberQuery, MemberStatus
from partyreg_core.operators.model import Operator, Role, Scope
from partyreg_core.records import CommunityRef
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import make_district, register, registration


def _names(store: SqlStore, actor: object, query: MemberQuery) -> list[str]:
    return sorted(m.name for m in store.members.list_members(actor, query).members)  # type: ignore[arg-type]


def test_text_finds_by_name_initials_phone_and_code(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    n = support.person()[1][-6:]  # a fresh number keeps backends' shared data apart
    people = [
        registration(d.units[0], d.communities[0], ("王建伟", f"1370{n}1")),
        registration(d.units[0], d.communities[0], ("吴佳文", f"1370{n}2")),
        registration(d.units[1], d.communities[1], ("单雪", f"1370{n}3")),
        registration(d.units[1], d.communities[1], ("Tom Li", f"1370{n}4")),
    ]
    register(store, city, people)
    mine = MemberQuery(unit=d.code)

    def find(text: str) -> list[str]:
        import attrs

        return _names(store, city, attrs.evolve(mine, text=text))

    assert find("王建") == ["王建伟"]
    assert find("wjw") == ["吴佳文", "王建伟"]  # initials, any reading
    assert find("WJ") == ["吴佳文", "王建伟"]
    assert find("sx") == ["单雪"]  # 单 read shàn
    assert find("dx") == ["单雪"]  # … or dān
    assert find("tom") == ["Tom Li"]  # a Latin name, any case
    assert find(f"{n}3") == []  # the city sees phones masked: only the last four digits count
    assert find(f"{n[-2:]}3") == ["单雪"]
    assert find(str(d.units[1])) == ["Tom Li", "单雪"]
    assert find(f"{d.units[1]} s") == ["单雪"]  # every term must match
    assert find("") == ["Tom Li", "单雪", "吴佳文", "王建伟"]
    assert find("100%") == []  # LIKE wildcards are text
    # full pinyin, whole syllables and initials mixed
    assert find("wang") == ["王建伟"]
    assert find("wangjianwei") == ["王建伟"]
    assert find("wangjw") == ["王建伟"]
    assert find("wujiawen") == ["吴佳文"]
    assert find("shanxue") == ["单雪"] and find("danx") == ["单雪"]
    assert find("zhangwei") == []
    # the member's number
    wang = next(m for m in store.members.list_members(city, mine).members if m.name == "王建伟")
    assert "王建伟" in find(str(wang.id))


def test_unit_operators_find_by_any_digits_of_the_phone(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    name, phone = support.person()
    register(store, city, [registration(d.units[0], d.communities[0], (name, phone))])
    store.operators.save_operator(city, Operator("unit_search", Scope(Role.UNIT, d.units[0])))
    unit = support.actor(store, "unit_search")
    assert _names(store, unit, MemberQuery(text=phone[2:8])) == [name]
    assert _names(store, unit, MemberQuery(text=phone[3:9], unit=d.units[1])) == []


def test_members_with_an_unresolved_community_can_be_listed(store: SqlStore) -> None:
    d = make_district(store)
    city = support.city(store)
    unknown = CommunityRef(d.short_name, "无此街道", "无此社区")
    register(
        store,
        city,
        [
            registration(d.units[0], d.communities[0], ("甲某某", support.person()[1])),
            registration(d.units[0], unknown, ("乙某某", support.person()[1])),
        ],
    )
    open_ = MemberQuery(unit=d.code, community_resolved=False)
    assert _names(store, city, open_) == ["乙某某"]
    done = MemberQuery(unit=d.code, community_resolved=True)
    assert _names(store, city, done) == ["甲某某"]


def test_members_are_counted_by_unit_and_status(store: SqlStore) -> None:
    d = make_district(store, units=2)
    city = support.city(store)
    regs = [registration(d.units[i % 2], d.communities[0]) for i in range(5)]
    ids = register(store, city, regs)
    support.route(store, ids[:1], d)
    by_district = store.members.count_members(city, MemberQuery(unit=d.code), 2)
    assert {(str(c.unit), c.status, c.count) for c in by_district} == {
        (str(d.code), MemberStatus.REGISTERED, 4),
        (str(d.code), MemberStatus.ROUTED, 1),
    }
    by_unit = store.members.count_members(city, MemberQuery(unit=d.code), 3)
    assert sorted((str(c.unit), c.status.value, c.count) for c in by_unit) == sorted(
        [
            (str(d.units[0]), "registered", 2),
            (str(d.units[0]), "routed", 1),
            (str(d.units[1]), "registered", 2),
        ]
    )
    searched = store.members.count_members(city, MemberQuery(unit=d.code, text=regs[1].name), 2)
    assert [(c.status, c.count) for c in searched] == [(MemberStatus.REGISTERED, 1)]


def test_audit_newest_first_in_pages(store: SqlStore) -> None:
    make_district(store)
    city = support.city(store)
    oldest_first = [e.id for e in store.audit(city, AuditQuery())]
    newest = [e.id for e in store.audit(city, AuditQuery(newest_first=True, limit=2))]
    assert newest == oldest_first[::-1][:2]
    following = store.audit(city, AuditQuery(newest_first=True, before=newest[-1], limit=2))
    assert [e.id for e in following] == oldest_first[::-1][2:4]
