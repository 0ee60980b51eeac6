"""Bulk actions on both backends (issue 15, decisions 0076 and 0109): each dry run leaves every
table as it was, and each real run is one batch whose undo puts every table back — on
PostgreSQL as the city operator's own login role, under row-level security.

Opening a year and retention touch the whole store, so each test has a store of its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from partyreg_core.batches import RETENTION_IRREVERSIBLE, BatchKind
from partyreg_core.errors import ConflictError, ValidationError
from partyreg_core.operators.model import Role
from partyreg_core.workspace import Workspace
from partyreg_plugins.sqlstore.store import SqlStore
from tests.plugins.storage import support
from tests.plugins.storage.support import dump_store, make_district, register, registration

#: What an undo changes on purpose: the batch marked undone, its journal, the audit log.
BOOKKEEPING = ("import_batches", "batch_rows", "audit_log")


@pytest.fixture
def own(backend: str, tmp_path: Path) -> Iterator[tuple[SqlStore, str]]:
    """A store of ``backend`` for this test alone, and its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'own.db'}"
        store = SqlStore(url)
        support.init_store(store)
        yield store, url
        store.close()
        return
    reason = support.pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    name = support.create_pg_database()
    url = support.pg_url(name)
    store = SqlStore(url)
    try:
        support.init_store(store)
        yield store, url
    finally:
        store.close()
        support.drop_pg_database(name)


@pytest.fixture
def city(own: tuple[SqlStore, str]) -> Iterator[tuple[Workspace, SqlStore]]:
    """The city operator's workspace (on PostgreSQL logged in as its own role), over a
    district of one unit and one community with three members registered, not routed."""
    store, url = own
    district = make_district(store, units=1, communities=1)
    regs = [
        registration(district.units[0], district.communities[0], posts=("3",)) for _ in range(3)
    ]
    register(store, support.city(store), regs)
    ws = support.operator_workspace(url, store, support.OS_USER)
    ws.district = district  # type: ignore[attr-defined]
    yield ws, store
    ws.close()


def dump(store: SqlStore) -> dict[str, list[str]]:
    return dump_store(store, leave_out=BOOKKEEPING)


def dry_then_undo(store: SqlStore, ws: Workspace, action: Any, batch_id: Any) -> Any:
    """Run ``action(dry_run=True)`` (nothing may change), then for real; undo its batch and
    check that every table is back as it was. Returns the real run's result."""
    before = dump(store)
    action(dry_run=True)
    assert dump(store) == before
    result = action(dry_run=False)
    batch = batch_id(result)
    assert batch, result
    assert dump(store) != before
    report = ws.undo_batch(batch, "操作错了")
    assert report.batch_id == batch
    assert dump(store) == before
    with pytest.raises(ConflictError) as again:
        ws.undo_batch(batch, "再撤一次")
    assert again.value.code == "batch.undone"
    return result


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_route_assign_and_group_dry_run_and_undo(
    backend: str, city: tuple[Workspace, SqlStore]
) -> None:
    ws, store = city
    on = date(2024, 9, 5)
    run = dry_then_undo(store, ws, lambda dry_run: ws.routing.route(on=on, dry_run=dry_run),
                        lambda r: r.batch_id)  # fmt: skip
    assert sum(m.changed for m in run.members) == 3
    ws.routing.route(on=on)
    community = ws.district.communities[0].id  # type: ignore[attr-defined]
    ws.service.add_need(community, "3", 3, purpose="普法", year=2024)
    placed = dry_then_undo(
        store, ws, lambda dry_run: ws.service.assign(community, year=2024, dry_run=dry_run),
        lambda r: r.batch_id,
    )  # fmt: skip
    assert len(placed.result.placements) == 3
    ws.service.assign(community, year=2024)
    grouped = dry_then_undo(
        store, ws, lambda dry_run: ws.service.group(community, year=2024, dry_run=dry_run),
        lambda r: r.batch_id,
    )  # fmt: skip
    assert grouped.stored
    # a later batch over the same rows: the earlier one waits for it to be undone
    first = ws.service.assign(community, year=2024)
    second = ws.service.assign(community, year=2024)
    with pytest.raises(ConflictError) as blocked:
        ws.undo_batch(first.batch_id or "", "错了")
    assert blocked.value.code == "batch.in_use" and str(second.batch_id) in blocked.value.message
    ws.undo_batch(second.batch_id or "", "错了")
    ws.undo_batch(first.batch_id or "", "错了")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_year_open_dry_run_and_undo(backend: str, city: tuple[Workspace, SqlStore]) -> None:
    ws, store = city
    ws.routing.route(on=date(2024, 9, 5))
    opened = dry_then_undo(
        store, ws, lambda dry_run: ws.open_year(2025, on=date(2024, 12, 28), dry_run=dry_run),
        lambda r: r.batch_id,
    )  # fmt: skip
    assert opened.members == 3
    assert ws.campaign_years() == []
    # the two years in turn: the earlier opening waits for the later one to be undone
    first = ws.open_year(2025, on=date(2024, 12, 28))
    second = ws.open_year(2026, on=date(2025, 12, 28))
    with pytest.raises(ConflictError):
        ws.undo_batch(first.batch_id or "", "错了")
    ws.undo_batch(second.batch_id or "", "错了")
    assert [y.year for y in ws.campaign_years()] == [2025, 2024]
    ws.undo_batch(first.batch_id or "", "错了")
    assert ws.campaign_years() == []


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_progress_remind_dry_run_and_undo(backend: str, city: tuple[Workspace, SqlStore]) -> None:
    ws, store = city
    reminded = dry_then_undo(
        store, ws,
        lambda dry_run: ws.remind(30, on=date(2027, 9, 1), year=2027, dry_run=dry_run),
        lambda r: r.batch_id,
    )  # fmt: skip
    assert reminded.events and sum(reminded.queued.values())


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_retention_dry_run_writes_nothing_and_its_batch_cannot_be_undone(
    backend: str, city: tuple[Workspace, SqlStore]
) -> None:
    ws, store = city
    member = next(iter(ws.members.iter())).id
    ws.members.leave(member, on=date(2020, 1, 1), reason="调离本市")
    before = dump(store)
    preview = ws.run_retention(on=date(2030, 1, 1), dry_run=True)
    assert preview.members == 1 and dump(store) == before
    done = ws.run_retention(on=date(2030, 1, 1))
    assert done.batch_id and done.members == 1
    assert [b.kind for b in ws.batches() if b.id == done.batch_id] == [BatchKind.RETENTION]
    after = dump(store)
    with pytest.raises(ValidationError) as refused:
        ws.undo_batch(done.batch_id, "搞错了")
    assert refused.value.code == "batch.irreversible"
    assert RETENTION_IRREVERSIBLE in refused.value.message
    assert dump(store) == after


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_flush_cannot_recall_what_it_sent_and_a_reminders_undo_says_so(
    backend: str,
    city: tuple[Workspace, SqlStore],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "partyreg.toml"
    config.write_text("[notify]\ndeliver_immediately = false\n", "utf-8")
    monkeypatch.setenv("PARTYREG_CONFIG", str(config))
    ws, store = city
    district = ws.district  # type: ignore[attr-defined]
    with _serve_http() as server:
        for code in (district.code, district.units[0]):
            ws.notify.add_channel(f"org:{code}", "webhook", {"url": f"{server.url}/hook"})
        reminded = ws.remind(30, on=date(2027, 9, 1), year=2027)
        assert reminded.queued["pending"] == 2 and reminded.batch_id
        server.answer(200, {"ok": True})
        flushed = ws.notify.deliver()
        assert len(flushed.attempts) == 2 and flushed.batch_id
        before = dump(store)
        nothing = ws.undo_batch(flushed.batch_id, "发错了")
        assert (nothing.removed, nothing.restored, nothing.unrecalled) == (0, 0, 2)
        assert dump(store) == before  # sent stays sent
        gone = ws.undo_batch(reminded.batch_id, "提醒错了")
        assert (gone.removed, gone.unrecalled) == (0, 2)
        assert len(server.requests) == 2


def _serve_http() -> Any:
    from contextlib import contextmanager

    from tests.plugins.notifiers.conftest import RecordingServer, _serve

    @contextmanager
    def serving() -> Iterator[RecordingServer]:
        yield from _serve(RecordingServer())

    return serving()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_draft_sheet_numbered_before_the_rule_drops_out_once_its_member_left(
    backend: str, city: tuple[Workspace, SqlStore]
) -> None:
    ws, store = city
    ws.routing.route(on=date(2024, 9, 5))
    community = ws.district.communities[0]  # type: ignore[attr-defined]
    sheets = ws.feedback.sheets(2025, community=str(community.id))
    assert len(sheets) == 3 and {s.state.value for s in sheets} == {"draft"}
    # a store older than the rule numbered the 2025 sheet of a member who left in 2024 too:
    # the member's leaving, written behind the rule's back, leaves that draft in the table
    gone = sheets[0]
    with support.raw_sql(store) as conn:
        conn.execute(
            f"UPDATE members SET left_on = '2024-10-01', left_reason = '调离' WHERE id = {gone.member_id}"
        )
    listed = ws.feedback.sheets(2025, community=str(community.id))
    assert [s.number for s in listed] == [s.number for s in sheets[1:]]
    batch, confirmed = ws.feedback.confirm_community(
        str(community.id), year=2025, on=date(2025, 12, 1)
    )
    assert batch and {s.number for s in confirmed} == {s.number for s in sheets[1:]}
    # the year they left in keeps its sheet
    assert gone.member_id in {
        s.member_id for s in ws.feedback.sheets(2024, community=str(community.id))
    }


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_district_routes_and_undoes_within_its_scope(
    backend: str, own: tuple[SqlStore, str], city: tuple[Workspace, SqlStore]
) -> None:
    ws, store = city
    _store, url = own
    district = ws.district  # type: ignore[attr-defined]
    operator = support.add_operator(store, Role.DISTRICT, district.code)
    mine = support.operator_workspace(url, store, operator.name)
    try:
        before = dump(store)
        run = mine.routing.route(on=date(2024, 9, 5))
        assert run.batch_id and sum(m.changed for m in run.members) == 3
        mine.undo_batch(run.batch_id, "分错了")
        assert dump(store) == before
    finally:
        mine.close()
