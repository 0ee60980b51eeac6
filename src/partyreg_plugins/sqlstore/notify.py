"""Notification channels and the outbox in the SQL store (``SqlStore.notify``).

Channels are configured per target (an org unit, a community, an instructor) within the
writer's scope and audited; they are readable by all (they hold no secret: decision 0031), so
delivery can read the channel of any target. Outbox rows are added by whoever's change produced
them (``created_by``) and are visible to the city, to their maker and to the operators whose
scope covers their target. Delivery claims a row by moving its ``next_attempt_at`` forward
(a lease), so two flushes at once never send one message twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg_dialect
from sqlalchemy.dialects import sqlite as sqlite_dialect

from partyreg_core.errors import NotFoundError
from partyreg_core.notify.model import (
    Attempt,
    Channel,
    NewMessage,
    OutboxMessage,
    OutboxStatus,
    Outcome,
    Target,
    TargetKind,
    TargetPlace,
)
from partyreg_core.notify.rules import (
    CHANNEL_REMOVED,
    channel_denied,
    channel_exists,
    channel_removed_text,
    channel_unknown,
    channel_write_allowed,
    check_retry,
    message_unknown,
    parse_target,
)
from partyreg_core.operators.model import Actor, Role, Scope
from partyreg_plugins.sqlstore.db import Repository
from partyreg_plugins.sqlstore.rows import opt_code as _opt_code
from partyreg_plugins.sqlstore.rows import utc as _utc
from partyreg_plugins.sqlstore.schema import (
    channels,
    communities,
    instructor_communities,
    instructors,
    members,
    org_units,
    outbox,
)
from partyreg_plugins.sqlstore.scoping import Condition, member_condition, subtree, where


def _channel(row: sa.Row[Any]) -> Channel:
    m = row._mapping
    return Channel(
        name=m["name"],
        target=parse_target(m["target"]),
        kind=m["kind"],
        settings=dict(m["settings"] or {}),
        enabled=bool(m["enabled"]),
        id=m["id"],
        created_by=m["created_by"],
        created_at=_utc(m["created_at"]),
        district_code=_opt_code(m["district_code"]),
        community_id=m["community_id"],
    )


def _message(row: sa.Row[Any]) -> OutboxMessage:
    m = row._mapping
    created = _utc(m["created_at"])
    assert created is not None
    return OutboxMessage(
        id=m["id"],
        target=parse_target(m["target"]),
        channel=m["channel"],
        event=m["event"],
        subject=m["subject"],
        body=m["body"],
        status=OutboxStatus(m["status"]),
        created_at=created,
        attempts=m["attempts"],
        next_attempt_at=_utc(m["next_attempt_at"]),
        sent_at=_utc(m["sent_at"]),
        last_error=m["last_error"],
        error_code=m["error_code"],
        created_by=m["created_by"],
        key=m["idempotency_key"] or "",
        community_id=m["community_id"],
        district_code=_opt_code(m["district_code"]),
    )


def _target_condition(
    scope: Scope,
    org: sa.ColumnElement[str],
    district: sa.ColumnElement[str],
    community: sa.ColumnElement[int],
) -> Condition | None:
    """Rows about a target the scope covers (``None``: all). The same rule as the row-level
    security policies of migration 0006."""
    if scope.role is Role.CITY:
        return None
    parts: list[Condition] = []
    if scope.code is not None:
        parts.append(subtree(org, scope.code))
    if scope.role is Role.DISTRICT:
        parts.append(district == str(scope.code))
    if scope.role.needs_communities:
        parts.append(community.in_(sorted(scope.communities)))
    return sa.or_(*parts) if parts else sa.false()


def _outbox_condition(actor: Actor) -> Condition | None:
    condition = _target_condition(
        actor.scope, outbox.c.org_code, outbox.c.district_code, outbox.c.community_id
    )
    if condition is None:
        return None
    return sa.or_(outbox.c.created_by == actor.name, condition)


class SqlNotify(Repository):
    """Channels and the outbox of one :class:`~partyreg_plugins.sqlstore.store.SqlStore`
    (``store.notify``, the :class:`~partyreg_core.notify.port.NotifyRepository`; see the
    module docstring)."""

    # -- where a target lies ------------------------------------------------------------------

    def _locate(
        self, conn: sa.Connection, target: Target, actor: Actor | None = None
    ) -> TargetPlace:
        """Where ``target`` lies; :class:`NotFoundError` if it does not exist (a member: or is
        outside ``actor``'s scope)."""
        if target.kind.has_code:
            assert target.code is not None
            found = conn.execute(
                sa.select(org_units.c.code).where(org_units.c.code == str(target.code))
            ).first()
            if found is None:
                raise NotFoundError(
                    "code.unknown",
                    f"代码 {target.code} 不在单位党组织代码表中：用 partyreg codes list 核对。",
                )
            return TargetPlace(target.code.aggregator, None, target.code)
        if target.kind is TargetKind.COMMUNITY:
            row = conn.execute(
                sa.select(communities.c.district_code).where(communities.c.id == target.id)
            ).first()
            if row is None:
                raise NotFoundError(
                    "community.unknown",
                    f"没有编号为 {target.id} 的社区：用社区通讯录核对。",
                )
            return TargetPlace(_opt_code(row.district_code), target.id)
        if target.kind is TargetKind.MEMBER:
            statement = sa.select(
                members.c.unit_code, members.c.district_code, members.c.community_id
            ).where(members.c.id == target.id)
            if actor is not None:
                statement = where(statement, member_condition(actor.scope))
            found_member = conn.execute(statement).first()
            if found_member is None:
                raise NotFoundError("member.unknown", f"没有编号为 {target.id} 的党员。")
            return TargetPlace(
                _opt_code(found_member.district_code),
                found_member.community_id,
                _opt_code(found_member.unit_code),
            )
        row = conn.execute(sa.select(instructors.c.id).where(instructors.c.id == target.id)).first()
        if row is None:
            raise NotFoundError("instructor.unknown", f"没有编号为 {target.id} 的社区工作指导员。")
        district = conn.execute(
            sa.select(sa.func.min(communities.c.district_code))
            .select_from(instructor_communities.join(communities))
            .where(instructor_communities.c.instructor_id == target.id)
        ).scalar()
        return TargetPlace(_opt_code(district))

    def locate_targets(
        self, targets: Iterable[Target], actor: Actor | None = None
    ) -> dict[str, TargetPlace]:
        """Where each target lies (district, community, org unit); targets that do not exist
        are left out. The directory and the org tree are shared; a member is looked up as
        ``actor`` (one outside its scope is left out)."""
        found: dict[str, TargetPlace] = {}
        with self._tx(actor) as conn:
            for target in targets:
                if str(target) in found:
                    continue
                try:
                    found[str(target)] = self._locate(conn, target, actor)
                except NotFoundError:
                    continue
        return found

    def member_recipients(self, actor: Actor, member_ids: Sequence[int]) -> dict[int, str]:
        """The phone of each member within the actor's scope who is still in the campaign and
        not anonymised, by id (the others are left out)."""
        if not member_ids:
            return {}
        statement = sa.select(members.c.id, members.c.phone).where(
            members.c.id.in_(sorted(set(member_ids))),
            members.c.left_on.is_(None),
            members.c.anonymised_on.is_(None),
        )
        statement = where(statement, member_condition(actor.scope))
        with self._tx(actor) as conn:
            return {row.id: row.phone for row in conn.execute(statement)}

    # -- channels ---------------------------------------------------------------------------

    def save_channel(self, actor: Actor, channel: Channel) -> Channel:
        """Add a channel for a target within the actor's scope (audited). A name in use is a
        :class:`ConflictError`."""
        with self._tx(actor, write=True) as conn:
            place = self._locate(conn, channel.target)
            district, community = place.district_code, place.community_id
            placed = Channel(
                name=channel.name,
                target=channel.target,
                kind=channel.kind,
                settings=dict(channel.settings),
                enabled=channel.enabled,
                district_code=district,
                community_id=community,
            )
            if not channel_write_allowed(actor.scope, placed):
                raise channel_denied(actor, channel.target)
            if conn.execute(
                sa.select(channels.c.id).where(channels.c.name == channel.name)
            ).first():
                raise channel_exists(channel.name)
            now = datetime.now(UTC)
            target = channel.target
            channel_id = conn.execute(
                sa.insert(channels)
                .values(
                    name=channel.name,
                    target=str(target),
                    kind=channel.kind,
                    settings=dict(channel.settings),
                    enabled=channel.enabled,
                    org_code=str(target.code) if target.code is not None else None,
                    district_code=str(district) if district is not None else None,
                    community_id=community,
                    created_by=actor.real_name,
                    created_at=now,
                )
                .returning(channels.c.id)
            ).scalar_one()
            self._audit(
                conn,
                actor,
                "notify.channel.add",
                f"channel:{channel.name}",
                after={
                    "target": str(target),
                    "kind": channel.kind,
                    "settings": dict(channel.settings),
                    "enabled": channel.enabled,
                },
                unit_code=target.code,
                district_code=district,
                community_id=community,
            )
            row = conn.execute(sa.select(channels).where(channels.c.id == channel_id)).one()
            return _channel(row)

    def remove_channel(self, actor: Actor, name: str) -> tuple[Channel, int]:
        """Remove a channel within the actor's scope (audited); its pending messages become
        ``failed`` (they are still listed and can be retried through another channel). Returns
        the channel and how many pending messages it had."""
        with self._tx(actor, write=True) as conn:
            row = conn.execute(sa.select(channels).where(channels.c.name == name)).first()
            channel = _channel(row) if row is not None else None
            if channel is None or not channel_write_allowed(actor.scope, channel):
                raise channel_unknown(name)
            pending = conn.execute(
                sa.update(outbox)
                .where(outbox.c.channel == name, outbox.c.status == OutboxStatus.PENDING.value)
                .values(
                    status=OutboxStatus.FAILED.value,
                    error_code=CHANNEL_REMOVED,
                    last_error=channel_removed_text(name),
                    next_attempt_at=None,
                )
            ).rowcount
            conn.execute(sa.delete(channels).where(channels.c.id == channel.id))
            target = channel.target
            self._audit(
                conn,
                actor,
                "notify.channel.remove",
                f"channel:{name}",
                before={
                    "target": str(target),
                    "kind": channel.kind,
                    "settings": dict(channel.settings),
                },
                after={"pending_failed": int(pending)},
                unit_code=target.code,
                district_code=channel.district_code,
                community_id=channel.community_id,
            )
            return channel, int(pending)

    def set_channel_enabled(self, actor: Actor, name: str, enabled: bool) -> Channel:
        """Enable or disable a channel within the actor's scope (audited). A disabled channel
        gets no new messages; those already queued for it are still sent."""
        with self._tx(actor, write=True) as conn:
            row = conn.execute(sa.select(channels).where(channels.c.name == name)).first()
            channel = _channel(row) if row is not None else None
            if channel is None or not channel_write_allowed(actor.scope, channel):
                raise channel_unknown(name)
            conn.execute(
                sa.update(channels)
                .where(channels.c.id == channel.id)
                .values(enabled=enabled, updated_by=actor.real_name, updated_at=datetime.now(UTC))
            )
            self._audit(
                conn,
                actor,
                "notify.channel.enable" if enabled else "notify.channel.disable",
                f"channel:{name}",
                before={"enabled": channel.enabled},
                after={"enabled": enabled},
                unit_code=channel.target.code,
                district_code=channel.district_code,
                community_id=channel.community_id,
            )
            return _channel(
                conn.execute(sa.select(channels).where(channels.c.id == channel.id)).one()
            )

    def channels(self, actor: Actor, target: Target | None = None) -> list[Channel]:
        """The channels configured for targets within the actor's scope (or for ``target``),
        by target and name."""
        statement = sa.select(channels).order_by(channels.c.target, channels.c.name)
        condition = _target_condition(
            actor.scope, channels.c.org_code, channels.c.district_code, channels.c.community_id
        )
        if condition is not None:
            statement = statement.where(condition)
        if target is not None:
            statement = statement.where(channels.c.target == str(target))
        with self._tx(actor) as conn:
            return [_channel(row) for row in conn.execute(statement)]

    def channel_by_name(self, name: str) -> Channel | None:
        """One channel by name (not scoped: delivery needs the channel of any message)."""
        with self._tx(None) as conn:
            row = conn.execute(sa.select(channels).where(channels.c.name == name)).first()
            return None if row is None else _channel(row)

    def channels_for(self, targets: Iterable[Target]) -> dict[str, list[Channel]]:
        """The enabled channels of each target (by its text), by name. Not scoped."""
        keys = sorted({str(t) for t in targets})
        found: dict[str, list[Channel]] = {k: [] for k in keys}
        if not keys:
            return found
        with self._tx(None) as conn:
            rows = conn.execute(
                sa.select(channels)
                .where(channels.c.target.in_(keys), channels.c.enabled.is_(True))
                .order_by(channels.c.name)
            )
            for row in rows:
                found[row.target].append(_channel(row))
        return found

    # -- the outbox -------------------------------------------------------------------------

    def _insert_ignoring_duplicates(self) -> Any:
        # one statement for any number of rows (executemany), so SQLAlchemy caches its SQL
        dialect = pg_dialect if self.dialect == "postgresql" else sqlite_dialect
        return (
            dialect.insert(outbox)
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
            .returning(outbox.c.id)
        )

    def enqueue_messages(
        self, actor: Actor, messages: Sequence[NewMessage], now: datetime
    ) -> list[int]:
        """Add messages to the outbox, due at ``now``; a message whose key is already there is
        left out (an event handled twice adds nothing). Returns the ids of the added rows."""
        if not messages:
            return []
        stamp = now.astimezone(UTC)
        values = []
        for item in messages:
            notice = item.notice
            target = notice.target
            values.append(
                {
                    "channel": item.channel,
                    "org_code": str(notice.org_code or target.code or "") or None,
                    "event": notice.event,
                    "recipients": [],
                    "subject": notice.subject,
                    "body": notice.body,
                    "created_at": stamp,
                    "attempts": 0,
                    "next_attempt_at": (
                        max(stamp, notice.not_before.astimezone(UTC))
                        if item.status is OutboxStatus.PENDING and notice.not_before is not None
                        else stamp
                        if item.status is OutboxStatus.PENDING
                        else None
                    ),
                    "status": item.status.value,
                    "target": str(target),
                    "idempotency_key": item.key,
                    "community_id": notice.community_id,
                    "district_code": str(notice.district_code) if notice.district_code else None,
                    "created_by": actor.name,
                }
            )
        statement = self._insert_ignoring_duplicates()
        added: list[int] = []
        with self._tx(actor, write=True) as conn:
            for value in values:
                added.extend(conn.execute(statement, value).scalars())
        return sorted(added)

    def outbox_messages(
        self,
        actor: Actor,
        *,
        status: OutboxStatus | None = None,
        ids: Sequence[int] | None = None,
        limit: int | None = None,
    ) -> list[OutboxMessage]:
        """Outbox messages within the actor's scope, newest first."""
        statement = sa.select(outbox).order_by(outbox.c.id.desc())
        condition = _outbox_condition(actor)
        if condition is not None:
            statement = statement.where(condition)
        if status is not None:
            statement = statement.where(outbox.c.status == status.value)
        if ids is not None:
            statement = statement.where(outbox.c.id.in_(list(ids)))
        if limit is not None:
            statement = statement.limit(limit)
        with self._tx(actor) as conn:
            return [_message(row) for row in conn.execute(statement)]

    def outbox_counts(self, actor: Actor) -> dict[OutboxStatus, int]:
        """How many messages within the actor's scope have each status."""
        statement = sa.select(outbox.c.status, sa.func.count()).group_by(outbox.c.status)
        condition = _outbox_condition(actor)
        if condition is not None:
            statement = statement.where(condition)
        counts = dict.fromkeys(OutboxStatus, 0)
        with self._tx(actor) as conn:
            for status, count in conn.execute(statement):
                counts[OutboxStatus(status)] = int(count)
        return counts

    def claim_messages(
        self,
        actor: Actor,
        now: datetime,
        lease_until: datetime,
        *,
        ids: Sequence[int] | None = None,
        after_id: int = 0,
        limit: int = 50,
    ) -> list[OutboxMessage]:
        """Claim up to ``limit`` pending messages due at ``now`` (of ``ids``, if given; with an
        id above ``after_id``) within the scope, oldest first: each is leased until
        ``lease_until`` so no other flush takes it. A message whose sender died mid-send is due
        again once its lease ends."""
        stamp = now.astimezone(UTC)
        due = sa.and_(
            outbox.c.status == OutboxStatus.PENDING.value,
            sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= stamp),
        )
        statement = (
            sa.select(outbox.c.id)
            .where(due, outbox.c.id > after_id)
            .order_by(outbox.c.id)
            .limit(limit)
        )
        condition = _outbox_condition(actor)
        if condition is not None:
            statement = statement.where(condition)
        if ids is not None:
            statement = statement.where(outbox.c.id.in_(list(ids)))
        claimed: list[int] = []
        with self._tx(actor, write=True) as conn:
            for message_id in list(conn.execute(statement).scalars()):
                taken = conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id == message_id, due)
                    .values(next_attempt_at=lease_until.astimezone(UTC))
                ).rowcount
                if taken == 1:
                    claimed.append(message_id)
            if not claimed:
                return []
            rows = conn.execute(
                sa.select(outbox).where(outbox.c.id.in_(claimed)).order_by(outbox.c.id)
            )
            return [_message(row) for row in rows]

    def record_attempts(self, actor: Actor, attempts: Sequence[Attempt], now: datetime) -> None:
        """Record what delivery attempts did: sent, to be retried at a time, or failed."""
        stamp = now.astimezone(UTC)
        with self._tx(actor, write=True) as conn:
            for attempt in attempts:
                values: dict[str, Any] = {"attempts": attempt.attempts}
                if attempt.outcome is Outcome.SENT:
                    values.update(
                        status=OutboxStatus.SENT.value,
                        sent_at=stamp,
                        next_attempt_at=None,
                        error_code=None,
                        last_error=None,
                    )
                elif attempt.outcome is Outcome.RETRY:
                    values.update(
                        next_attempt_at=attempt.next_attempt_at,
                        error_code=attempt.error_code,
                        last_error=attempt.error,
                    )
                else:
                    values.update(
                        status=OutboxStatus.FAILED.value,
                        next_attempt_at=None,
                        error_code=attempt.error_code,
                        last_error=attempt.error,
                    )
                conn.execute(
                    sa.update(outbox)
                    .where(
                        outbox.c.id == attempt.message_id,
                        outbox.c.status == OutboxStatus.PENDING.value,
                    )
                    .values(**values)
                )

    def requeue_message(
        self, actor: Actor, message_id: int, now: datetime, channel_names: Sequence[str] = ()
    ) -> list[OutboxMessage]:
        """Send a message again, by hand (audited): a failed or pending one is due at ``now``
        with its attempts counted from zero; a skipped one (its target had no channel) goes out
        through ``channel_names`` — the first takes the row, each further one a copy."""
        stamp = now.astimezone(UTC)
        with self._tx(actor, write=True) as conn:
            statement = sa.select(outbox).where(outbox.c.id == message_id)
            condition = _outbox_condition(actor)
            if condition is not None:
                statement = statement.where(condition)
            row = conn.execute(statement).first()
            if row is None:
                raise message_unknown(message_id)
            message = _message(row)
            check_retry(message, channel_names)
            reset = {
                "status": OutboxStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": stamp,
                "error_code": None,
                "last_error": None,
            }
            ids = [message_id]
            if message.status is OutboxStatus.SKIPPED or message.channel == "":
                first, *others = channel_names
                reset["channel"] = first
                for other in others:
                    copy = {
                        k: v
                        for k, v in row._mapping.items()
                        if k not in ("id", "channel", "idempotency_key")
                    }
                    copy.update(reset, channel=other, created_by=actor.name)
                    copy["idempotency_key"] = None
                    ids.append(
                        conn.execute(
                            sa.insert(outbox).values(**copy).returning(outbox.c.id)
                        ).scalar_one()
                    )
            conn.execute(sa.update(outbox).where(outbox.c.id == message_id).values(**reset))
            self._audit(
                conn,
                actor,
                "notify.retry",
                f"outbox:{message_id}",
                before={"status": message.status.value, "attempts": message.attempts},
                after={"status": "pending", "channels": list(channel_names) or [message.channel]},
                unit_code=message.target.code,
                district_code=message.district_code,
                community_id=message.community_id,
            )
            rows = conn.execute(sa.select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
            return [_message(r) for r in rows]
