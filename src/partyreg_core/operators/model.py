"""Operators, their roles and scopes, and who sees what.

An operator is an account tied to an OS user name (over SSH, the login). Its :class:`Scope` says
which part of the campaign it may read and change:

- ``city`` — everything;
- ``district`` — an aggregator's code (a 县区委 or a 市直党工委): the members of its own units and
  the members routed to its communities;
- ``unit`` — an org code and every unit below it;
- ``community`` — one or more communities (by id): the members routed to them;
- ``instructor`` — the communities the instructor looks after.

The predicates here (:meth:`Scope.sees_member`, :meth:`Scope.sees_activity`, …) are the rule the
stores implement in SQL (and, on PostgreSQL, in row-level security); the property tests check
that no store reveals anything these predicates would not.
"""

from __future__ import annotations

import enum
from enum import StrEnum

import attrs

from partyreg_core.errors import ValidationError
from partyreg_core.masking import mask_address, mask_phone
from partyreg_core.members.model import MemberStatus
from partyreg_core.orgcodes import OrgCode

ROLE_LABELS = {
    "city": "市级",
    "district": "县区/市直党工委",
    "unit": "单位党组织",
    "community": "社区党组织",
    "instructor": "社区工作指导员",
}


class Role(StrEnum):
    """What an operator works as (DESIGN.md §1)."""

    CITY = "city"
    DISTRICT = "district"
    UNIT = "unit"
    COMMUNITY = "community"
    INSTRUCTOR = "instructor"

    @property
    def label(self) -> str:
        """The role in Chinese, as screens show it."""
        return ROLE_LABELS[self.value]

    @property
    def needs_code(self) -> bool:
        """Whether the scope of this role is an org code (district, unit)."""
        return self in (Role.DISTRICT, Role.UNIT)

    @property
    def needs_communities(self) -> bool:
        """Whether the scope of this role is a set of communities (community, instructor)."""
        return self in (Role.COMMUNITY, Role.INSTRUCTOR)


@attrs.frozen
class Scope:
    """The part of the campaign an operator may see and change.

    ``code`` is set for ``district`` (an aggregator's code, depth 2) and ``unit``; ``communities``
    (community ids) for ``community`` and ``instructor`` — possibly none yet (an instructor
    whose communities have not been assigned sees nothing).
    """

    role: Role
    code: OrgCode | None = None
    communities: frozenset[int] = frozenset()

    def __attrs_post_init__(self) -> None:
        if self.role.needs_code and self.code is None:
            raise ValidationError(
                "scope.code_missing",
                f"{self.role.label}操作员需要一个单位代码作为范围（--scope CODE）。",
            )
        if self.role is Role.DISTRICT and self.code is not None and self.code.depth != 2:
            raise ValidationError(
                "scope.not_aggregator",
                f"县区/市直党工委操作员的范围应是县区委或市直党工委的代码（如 008.001），不是 {self.code}。",
            )
        if not self.role.needs_code and self.code is not None:
            raise ValidationError(
                "scope.code_unexpected",
                f"{self.role.label}操作员的范围不是单位代码：请去掉 {self.code}。",
            )
        if not self.role.needs_communities and self.communities:
            raise ValidationError(
                "scope.communities_unexpected",
                f"{self.role.label}操作员的范围不是社区：请去掉社区。",
            )

    @classmethod
    def city(cls) -> Scope:
        """The whole city."""
        return cls(Role.CITY)

    @property
    def label(self) -> str:
        """The scope in Chinese (``县区/市直党工委 008.001``)."""
        if self.code is not None:
            return f"{self.role.label} {self.code}"
        if self.communities:
            return f"{self.role.label} 社区 {','.join(str(c) for c in sorted(self.communities))}"
        return self.role.label

    # -- what the scope covers ----------------------------------------------------------------

    def covers_unit(self, unit_code: OrgCode) -> bool:
        """Whether members of ``unit_code`` belong to this scope by their unit (city, the
        district's own units, the unit's subtree). Community roles cover no unit."""
        if self.role is Role.CITY:
            return True
        if self.code is not None:
            return unit_code.is_within(self.code)
        return False

    def covers_community(self, community_id: int | None, district_code: OrgCode | None) -> bool:
        """Whether a community (by id, and the district it lies in) is in this scope."""
        if self.role is Role.CITY:
            return True
        if self.role is Role.DISTRICT:
            return district_code is not None and district_code == self.code
        if self.role.needs_communities:
            return community_id is not None and community_id in self.communities
        return False

    def sees_member(
        self,
        unit_code: OrgCode,
        state: MemberStatus,
        district_code: OrgCode | None,
        community_id: int | None,
    ) -> bool:
        """Whether a member is visible: by their unit, or — once routed — by the district and
        community they were routed to."""
        if self.covers_unit(unit_code):
            return True
        if state is MemberStatus.REGISTERED:
            return False
        return self.covers_community(community_id, district_code)

    def sees_activity(
        self, unit_code: OrgCode, district_code: OrgCode | None, community_id: int | None
    ) -> bool:
        """Whether an activity is visible: by the member's unit (the unit's ledger) or by the
        community (and its district) where it took place."""
        return self.covers_unit(unit_code) or self.covers_community(community_id, district_code)

    def may_register(self, unit_code: OrgCode) -> bool:
        """Whether registrations for members of ``unit_code`` may be written (附表1 is the
        unit's, collected upwards: city, the unit's district, the unit and those above it)."""
        return self.covers_unit(unit_code)

    def may_record_activities(self) -> bool:
        """Whether this role records activities (instructors, communities, and their district
        and the city on their behalf; units read their ledger but do not write it)."""
        return self.role is not Role.UNIT

    # -- personal data ------------------------------------------------------------------------

    @property
    def sees_full_phone(self) -> bool:
        """Phones in full for the roles that contact members: the unit (it registers them),
        the community and the instructor (they organise the service). Districts and the city
        supervise and route by community, and see ``138****5678``."""
        return self.role in (Role.UNIT, Role.COMMUNITY, Role.INSTRUCTOR)

    @property
    def sees_full_address(self) -> bool:
        """Addresses in full only for the unit (its own records) and the community (its own
        residents); everyone else sees house numbers masked."""
        return self.role in (Role.UNIT, Role.COMMUNITY)

    def phone(self, phone: str) -> str:
        """``phone`` as this scope may see it."""
        return phone if self.sees_full_phone else mask_phone(phone)

    def address(self, address: str) -> str:
        """``address`` as this scope may see it."""
        return address if self.sees_full_address else mask_address(address)


@attrs.frozen
class Operator:
    """An operator account: its name (the OS user name it is tied to), its scope, whether it is
    disabled, and — on PostgreSQL — the database role it acts through."""

    name: str
    scope: Scope
    disabled: bool = False
    id: int | None = None
    db_role: str | None = None
    created_by: str = ""

    @property
    def role(self) -> Role:
        """The operator's role."""
        return self.scope.role


def operator_json(operator: Operator) -> dict[str, object]:
    """An operator account as JSON (``operator list --json``): name, role, the scope's code or
    communities, disabled, the database role and who created it."""
    return {
        "name": operator.name,
        "role": operator.role.value,
        "scope_code": str(operator.scope.code) if operator.scope.code else None,
        "communities": sorted(operator.scope.communities),
        "disabled": operator.disabled,
        "db_role": operator.db_role,
        "created_by": operator.created_by,
    }


@attrs.frozen
class Actor:
    """Who is acting: the operator account in effect and the OS user behind it.

    ``real`` is the OS user's own account when a city operator acts as another one with
    ``--as``; the audit log records both. ``member`` is the member signed in on the members'
    site: the site's own account (``operator``) acts for them, and the audit log records
    ``member:ID`` as the actor and the site's account as acted through (decision 0116).
    """

    operator: Operator
    os_user: str
    real: Operator | None = None
    member: int | None = None

    @property
    def scope(self) -> Scope:
        """The scope in effect (the account acted as)."""
        return self.operator.scope

    @property
    def name(self) -> str:
        """The account name in effect."""
        return self.operator.name

    @property
    def on_behalf_of(self) -> str | None:
        """The account acted as, when it is not the OS user's own (``--as``), or the site's
        account a signed-in member acts through."""
        return self.operator.name if self.real is not None or self.member is not None else None

    @property
    def real_name(self) -> str:
        """The account of the person at the keyboard (``member:ID`` for a signed-in member)."""
        if self.member is not None:
            return f"member:{self.member}"
        return (self.real or self.operator).name


def parse_role(text: str) -> Role:
    """A role as typed (``district``, ``县区``, …); raise :class:`ValidationError` otherwise."""
    value = text.strip().lower()
    for role in Role:
        if value in (role.value, role.label):
            return role
    aliases = {"市": Role.CITY, "县区": Role.DISTRICT, "单位": Role.UNIT, "社区": Role.COMMUNITY}
    if value in aliases:
        return aliases[value]
    names = "、".join(r.value for r in Role)
    raise ValidationError("role.unknown", f"未知的角色“{text}”：应为 {names} 之一。")


class LoginKind(enum.Enum):
    """What the store's own login is, which decides what partyreg may do with it."""

    FILE = "file"  #: SQLite: no login; the file's permissions decide who may open it
    OPERATOR = "operator"  #: an operator's own database role (daily work)
    ADMIN = "admin"  #: CREATEROLE, not a superuser: set-up only (init, operator add|disable)
    SUPERUSER = "superuser"  #: superuser or BYPASSRLS: never for daily work
    OTHER = "other"  #: a login that is none of these


@attrs.frozen
class Login:
    """Who the store's connections log in as (``session_user`` on PostgreSQL).

    :param kind: see :class:`LoginKind`.
    :param name: the database login (``None`` for SQLite).
    :param operator: for an operator's own role, the account it belongs to.
    """

    kind: LoginKind
    name: str | None = None
    operator: str | None = None
