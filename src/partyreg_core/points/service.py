"""What the facade offers for points (``ws.points``): a member's ledger and balance as it
stood on a day, hand adjustments, the rules and their versions."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from partyreg_core.errors import NotFoundError, NotPermittedError, ValidationError
from partyreg_core.operators.model import Actor, Role
from partyreg_core.orgcodes import OrgCode
from partyreg_core.points.model import PointsBalance, PointsEntry
from partyreg_core.points.port import PointsRepository
from partyreg_core.points.rules import (
    RulesInEffect,
    RuleVersion,
    check_adjustment,
    merged,
    parse_rule_items,
    rules_dict,
    rules_from,
    rules_on,
)

Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


@attrs.define
class PointsService:
    """The points ledger for one acting operator.

    :param repository: the store's ledger.
    :param actor: who is acting.
    :param today: today's date in Asia/Shanghai.
    :param default_year: the year a command means when it names none.
    :param refuse_closed_year: the year lock (an adjustment dated in a closed year is refused).
    :param changed: reports each change (events).
    """

    repository: PointsRepository
    actor: Callable[[], Actor]
    today: Callable[[], date]
    default_year: Callable[[], int]
    refuse_closed_year: Callable[[int], None]
    changed: Changed

    def show(
        self, member_id: int, *, year: int | None = None, on: date | None = None
    ) -> PointsBalance:
        """A member's entries of ``year`` (default: the campaign year) dated up to ``on``
        (default: today) and the balance they make: the total as it stood that day."""
        actor = self.actor()
        chosen = year or (on.year if on is not None else self.default_year())
        day = on or self.today()
        names = self.repository.member_names(actor, [member_id])
        if member_id not in names:
            raise NotFoundError(
                "member.not_found", f"没有编号为 {member_id} 的党员（或不在你的范围内）。"
            )
        entries = self.repository.entries(actor, member_id, year=chosen, on=day)
        total = round(sum(e.points for e in entries), 2)
        return PointsBalance(member_id, names[member_id], chosen, day, total, tuple(entries))

    def adjust(
        self, member_id: int, points: float, reason: str, *, on: date | None = None
    ) -> PointsEntry:
        """Add (or take, with a negative number) points by hand, with a reason: a community
        or unit operator for their own members (and the district and city above them)."""
        actor = self.actor()
        if actor.scope.role is Role.INSTRUCTOR:
            raise NotPermittedError(
                "points.denied", "社区工作指导员不能调整积分：请由社区或党员所在单位调整。"
            )
        value, text = check_adjustment(points, reason)
        day = on or self.today()
        if day > self.today():
            raise ValidationError(
                "points.date", f"调整日期 {day.isoformat()} 在今天之后：请核对 --date。"
            )
        self.refuse_closed_year(day.year)
        entry = self.repository.adjust(actor, member_id, value, text, day)
        self.changed(
            "points.adjust",
            f"member:{member_id}",
            None,
            {"points": value, "reason": text, "day": day.isoformat(), "entry": entry.id},
        )
        return entry

    def balances(
        self, year: int | None = None, *, on: date | None = None, unit: OrgCode | None = None
    ) -> dict[int, float]:
        """Every member's balance in ``year`` within scope (rankings, 附表3, the ledger)."""
        return self.repository.balances(self.actor(), year or self.default_year(), on=on, unit=unit)

    def versions(self) -> list[RuleVersion]:
        """Every rule version, oldest first."""
        return self.repository.versions()

    def rules_on(self, day: date | None = None, district: OrgCode | None = None) -> RulesInEffect:
        """The rules in effect on ``day`` for a member of ``district`` (default: the city's)."""
        return rules_on(self.versions(), day or self.today(), district)

    def set_rules(
        self,
        items: Sequence[str],
        *,
        effective_from: date,
        district: OrgCode | None = None,
    ) -> RuleVersion:
        """A new version of the rules from ``effective_from`` (``key=value`` items; only the
        keys given change). The city sets the city's rules; a district sets its own only while
        the city's rules in effect that day allow districts. A version never applies to days
        before its date, so the past is priced as it was."""
        actor = self.actor()
        role = actor.scope.role
        if district is None and role is not Role.CITY:
            if role is Role.DISTRICT and actor.scope.code is not None:
                district = actor.scope.code
            else:
                raise NotPermittedError(
                    "points.rules_denied", "积分规则由市级设置（县区在市级允许时另定本县区的）。"
                )
        if district is not None and role is not Role.CITY and actor.scope.code != district:
            raise NotPermittedError(
                "points.rules_denied", f"只能设置本县区的积分规则，不能设置 {district} 的。"
            )
        changes = parse_rule_items(items, city=district is None)
        versions = self.versions()
        if district is None:
            base = rules_dict(rules_on(versions, effective_from, None).rules)
            values = rules_dict(rules_from(merged(base, changes)))
        else:
            effect = rules_on(versions, effective_from, district)
            if not rules_on(versions, effective_from, None).rules.districts:
                raise NotPermittedError(
                    "points.districts_off",
                    f"市级在 {effective_from.isoformat()} 起的积分规则不允许县区另定："
                    "请市级先设置 districts=yes。",
                )
            current = effect.district.values if effect.district is not None else {}
            values = merged(current, changes)
            rules_from(merged(rules_dict(effect.rules), values))  # the result must be valid
        version = self.repository.add_version(actor, district, effective_from, values)
        self.changed(
            "points.rules",
            f"points_rules:{version.id}",
            None,
            {
                "district": str(district) if district else None,
                "effective_from": effective_from.isoformat(),
                "changes": list(items),
            },
        )
        return version
