"""What a bulk action changed, row by row, so that ``partyreg undo BATCH`` puts it back
(decision 0109).

A bulk action (``assign``, ``group``, ``route``, ``year open``) watches the rows it may touch
before it writes, inside its own transaction; afterwards :meth:`RowJournal.record` compares them
with what is there now and keeps, in ``batch_rows``, each row's key with its values before
(``None``: the action inserted it) and after (``None``: it deleted it). The undo checks that
every row is still as the action left it — otherwise something has been built on it and the
undo is refused, naming how many rows changed since — and then restores the rows before.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from partyreg_core.errors import ConflictError
from partyreg_plugins.sqlstore.schema import batch_rows, import_batches, metadata

_CHUNK = 5_000


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _encode(table: sa.Table, row: Mapping[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in columns:
        value = row[name]
        if isinstance(value, datetime | date):
            value = value.isoformat()
        out[name] = value
    return out


def _decode(table: sa.Table, values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in values.items():
        kind = table.c[name].type
        if value is not None and isinstance(kind, sa.DateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(kind, sa.Date):
            value = date.fromisoformat(value)
        out[name] = value
    return out


def _key_of(table: sa.Table, row: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


class _Watch:
    def __init__(
        self, table: sa.Table, conditions: Sequence[sa.ColumnElement[bool]], columns: Sequence[str]
    ) -> None:
        self.table, self.conditions, self.columns = table, conditions, columns
        self.before: dict[tuple[Any, ...], dict[str, Any]] = {}

    def read(self, conn: sa.Connection) -> dict[tuple[Any, ...], dict[str, Any]]:
        table = self.table
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for condition in self.conditions:
            statement = sa.select(*(table.c[n] for n in self.columns)).where(condition)
            for row in conn.execute(statement):
                mapping = row._mapping
                rows[_key_of(table, mapping)] = _encode(table, mapping, self.columns)
        return rows


class RowJournal:
    """The rows one bulk action may touch, read before it writes and compared after."""

    def __init__(self, conn: sa.Connection, batch_id: str) -> None:
        self.conn, self.batch_id = conn, batch_id
        self.watches: list[_Watch] = []

    def watch(
        self,
        table: sa.Table,
        condition: sa.ColumnElement[bool] | None = None,
        *,
        column: sa.Column[Any] | None = None,
        values: Sequence[Any] = (),
        columns: Sequence[str] | None = None,
        also: sa.ColumnElement[bool] | None = None,
    ) -> None:
        """Watch the rows of ``table`` matching ``condition`` (and, given ``column``, those whose
        ``column`` is one of ``values``, read in chunks; and those matching ``also``);
        ``columns``: the ones kept (the primary key always is; default all)."""
        names = [c.name for c in table.columns] if columns is None else list(columns)
        for c in table.primary_key.columns:
            if c.name not in names:
                names.insert(0, c.name)
        conditions: list[sa.ColumnElement[bool]] = []
        if column is not None:
            conditions += [column.in_(list(chunk)) for chunk in _chunks(list(values))]
            if condition is not None:
                conditions = [sa.and_(c, condition) for c in conditions]
        elif condition is not None:
            conditions.append(condition)
        if also is not None:
            conditions.append(also)
        found = _Watch(table, conditions, names)
        found.before = found.read(self.conn)
        self.watches.append(found)

    def record(self) -> int:
        """Keep every watched row with its values before and after — those it left as they
        were too, so that undoing an earlier batch that wrote them is refused while this one
        stands (a store that reuses ids can write a row again exactly as it was); returns how
        many changed."""
        out: list[dict[str, Any]] = []
        changed = 0
        for w in self.watches:
            after = w.read(self.conn)
            gone = [k for k in w.before if k not in after]
            if gone:  # a row changed so that its condition no longer holds: read it by key
                for key, values in self._by_key(w, gone).items():
                    after[key] = values
            pk = [c.name for c in w.table.primary_key.columns]
            for key in sorted(set(w.before) | set(after), key=repr):
                old, new = w.before.get(key), after.get(key)
                changed += old != new
                out.append(
                    {
                        "batch_id": self.batch_id,
                        "table_name": w.table.name,
                        "row_key": dict(zip(pk, key, strict=True)),
                        "before": old,
                        "after": new,
                    }
                )
        for chunk in _chunks(out):
            self.conn.execute(sa.insert(batch_rows), list(chunk))
        return changed

    def _by_key(
        self, w: _Watch, keys: Sequence[tuple[Any, ...]]
    ) -> dict[tuple[Any, ...], dict[str, Any]]:
        table = w.table
        pk = list(table.primary_key.columns)
        found: dict[tuple[Any, ...], dict[str, Any]] = {}
        for key in keys:
            condition = sa.and_(*(c == v for c, v in zip(pk, key, strict=True)))
            row = self.conn.execute(
                sa.select(*(table.c[n] for n in w.columns)).where(condition)
            ).first()
            if row is not None:
                found[key] = _encode(table, row._mapping, w.columns)
        return found


def journal_of(conn: sa.Connection, batch_id: str) -> list[sa.Row[Any]]:
    """The rows a batch changed, in the order they were recorded."""
    return list(
        conn.execute(
            sa.select(batch_rows).where(batch_rows.c.batch_id == batch_id).order_by(batch_rows.c.id)
        )
    )


def _condition(table: sa.Table, key: Mapping[str, Any]) -> sa.ColumnElement[bool]:
    typed = _decode(table, key)
    return sa.and_(*(table.c[n] == v for n, v in typed.items()))


def changed_since(conn: sa.Connection, rows: Sequence[sa.Row[Any]]) -> dict[str, int]:
    """Per table, how many of a batch's rows are no longer as the batch left them."""
    changed: dict[str, int] = {}
    for row in rows:
        table = metadata.tables[row.table_name]
        columns = list((row.after or row.before or row.row_key).keys())
        now = conn.execute(
            sa.select(*(table.c[n] for n in columns)).where(_condition(table, row.row_key))
        ).first()
        current = None if now is None else _encode(table, now._mapping, columns)
        if current != row.after:
            changed[row.table_name] = changed.get(row.table_name, 0) + 1
    return changed


def later_batches(conn: sa.Connection, rows: Sequence[sa.Row[Any]], batch_id: str) -> list[str]:
    """The batches after ``batch_id``, not undone, that changed one of its rows again (in a
    store that reuses ids, a row written again the same way looks unchanged)."""
    if not rows:
        return []
    mine = {(r.table_name, _frozen(r.row_key)) for r in rows}
    at = sa.select(import_batches.c.at).where(import_batches.c.id == batch_id).scalar_subquery()
    statement = (
        sa.select(batch_rows.c.batch_id, batch_rows.c.table_name, batch_rows.c.row_key)
        .join(import_batches, import_batches.c.id == batch_rows.c.batch_id)
        .where(
            batch_rows.c.batch_id != batch_id,
            batch_rows.c.table_name.in_(sorted({t for t, _k in mine})),
            import_batches.c.undone_at.is_(None),
            import_batches.c.at >= at,
        )
    )
    found = {
        r.batch_id for r in conn.execute(statement) if (r.table_name, _frozen(r.row_key)) in mine
    }
    return sorted(found)


def _frozen(key: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(key.items()))


def restore(conn: sa.Connection, rows: Sequence[sa.Row[Any]], batch_id: str, what: str) -> int:
    """Put back the rows a batch changed (refused with ``batch.in_use`` when a later batch
    changed them again, or they changed since): rows it inserted are deleted (last table
    first, for the foreign keys), rows it deleted inserted again and rows it updated set back
    (first table first). Returns how many rows were put back."""
    later = later_batches(conn, rows, batch_id)
    if later:
        raise ConflictError(
            "batch.in_use",
            f"批次 {batch_id} 不能撤销：之后的批次 {'、'.join(later[:3])} 又修改了它写下的{what}。"
            f"请先撤销之后的批次（partyreg undo {later[-1]} --reason …）。",
        )
    rows = [r for r in rows if r.before != r.after]  # the rows it only watched stay as they are
    changed = changed_since(conn, rows)
    if changed:
        count = sum(changed.values())
        raise ConflictError(
            "batch.in_use",
            f"批次 {batch_id} 不能撤销：它写下的{what}之后又有 {count} 处被修改"
            "（如重新分配、报到或确认）。请先撤销之后的操作，或直接修改。",
        )
    order: list[str] = []
    for row in rows:
        if row.table_name not in order:
            order.append(row.table_name)
    for name in reversed(order):
        table = metadata.tables[name]
        for row in rows:
            if row.table_name == name and row.before is None:
                conn.execute(sa.delete(table).where(_condition(table, row.row_key)))
    for name in order:
        table = metadata.tables[name]
        for row in rows:
            if row.table_name != name or row.before is None:
                continue
            values = _decode(table, row.before)
            if row.after is None:
                conn.execute(sa.insert(table).values(**values))
            else:
                conn.execute(
                    sa.update(table).where(_condition(table, row.row_key)).values(**values)
                )
    return len(rows)
