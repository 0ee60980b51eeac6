"""The operator's scope as SQL conditions (the same rule as :mod:`partyreg_core.operators.model`).

On PostgreSQL the row-level security policies of migration 0002 say the same again inside the
database; these conditions are what every backend applies, so a query never depends on the
database to hide rows.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from partyreg_core.operators.model import Actor, Role, Scope
from partyreg_core.orgcodes import OrgCode
from partyreg_plugins.sqlstore.schema import (
    activities,
    audit_log,
    member_service,
    members,
    points_entries,
    wishes,
)

Condition = ColumnElement[bool]


def subtree(column: sa.ColumnElement[str], code: OrgCode) -> Condition:
    """``column`` holds ``code`` or a code below it."""
    text = str(code)
    return sa.or_(column == text, column.like(text + ".%"))


def serving(year: int | None = None) -> Condition:
    """Members in current work (:func:`partyreg_core.members.serves_in`): not left and not
    anonymised; for ``year``, also those who left during that year."""
    if year is None:
        return sa.and_(members.c.left_on.is_(None), members.c.anonymised_on.is_(None))
    return sa.and_(
        sa.or_(members.c.left_on.is_(None), members.c.left_on >= date(year, 1, 1)),
        members.c.anonymised_on.is_(None),
    )


def _community_part(
    scope: Scope, district: sa.ColumnElement[str], community: sa.ColumnElement[int]
) -> Condition | None:
    if scope.role is Role.DISTRICT:
        return district == str(scope.code)
    if scope.role.needs_communities:
        return community.in_(sorted(scope.communities))
    return None


def member_condition(scope: Scope) -> Condition | None:
    """Members visible in ``scope`` (``None``: all)."""
    if scope.role is Role.CITY:
        return None
    parts: list[Condition] = []
    if scope.code is not None:
        parts.append(subtree(members.c.unit_code, scope.code))
    community = _community_part(scope, members.c.district_code, members.c.community_id)
    if community is not None:
        parts.append(sa.and_(members.c.status != "registered", community))
    return sa.or_(*parts)


def _activity_rule(
    scope: Scope,
    unit: sa.ColumnElement[str],
    district: sa.ColumnElement[str],
    community: sa.ColumnElement[int],
) -> Condition | None:
    if scope.role is Role.CITY:
        return None
    parts: list[Condition] = []
    if scope.code is not None:
        parts.append(subtree(unit, scope.code))
    by_community = _community_part(scope, district, community)
    if by_community is not None:
        parts.append(by_community)
    return sa.or_(*parts)


def activity_condition(scope: Scope) -> Condition | None:
    """Activities visible in ``scope`` (``None``: all)."""
    a = activities.c
    return _activity_rule(scope, a.unit_code, a.district_code, a.community_id)


def service_condition(scope: Scope) -> Condition | None:
    """Rows of ``member_service`` visible in ``scope`` (``None``: all): the rule of
    :func:`activity_condition` on the table's own scope columns, which are the activities'
    (their NULLs stored as sentinels that match no scope, as NULL matches none)."""
    s = member_service.c
    return _activity_rule(scope, s.unit_code, s.district_code, s.community_id)


def ledger_condition(scope: Scope) -> Condition | None:
    """Points entries visible in ``scope`` (``None``: all): the rule of activities."""
    p = points_entries.c
    return _activity_rule(scope, p.unit_code, p.district_code, p.community_id)


def wish_condition(scope: Scope, *, write: bool = False) -> Condition | None:
    """Wishes visible in ``scope`` (``None``: all): the community's own, its district's, the
    city's; a unit reads (``write`` false) the wishes its members claimed."""
    if scope.role is Role.CITY:
        return None
    by_community = _community_part(scope, wishes.c.district_code, wishes.c.community_id)
    if by_community is not None:
        return by_community
    if scope.role is Role.UNIT and scope.code is not None and not write:
        return subtree(wishes.c.member_unit_code, scope.code)
    return sa.false()


def activity_write_condition(scope: Scope) -> Condition | None:
    """Members whose activities ``scope`` may record: those routed into its communities (its
    district's, for a district; all, for the city). ``None``: no restriction."""
    if scope.role is Role.CITY:
        return None
    if scope.role is Role.DISTRICT:
        return members.c.district_code == str(scope.code)
    return members.c.community_id.in_(sorted(scope.communities))


def audit_condition(actor: Actor) -> Condition | None:
    """Audit entries ``actor`` may read: all for the city; otherwise its own and those about
    its units, district or communities."""
    scope = actor.scope
    if scope.role is Role.CITY:
        return None
    name = actor.operator.name
    parts: list[Condition] = [audit_log.c.actor == name, audit_log.c.on_behalf_of == name]
    if scope.code is not None:
        parts.append(subtree(audit_log.c.unit_code, scope.code))
    community = _community_part(scope, audit_log.c.district_code, audit_log.c.community_id)
    if community is not None:
        parts.append(community)
    return sa.or_(*parts)


def where(
    statement: sa.Select[tuple[object, ...]], condition: Condition | None
) -> sa.Select[tuple[object, ...]]:
    """``statement`` restricted by ``condition`` when there is one."""
    return statement if condition is None else statement.where(condition)
