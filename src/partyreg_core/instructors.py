"""Community work instructors (社区工作指导员): who they are and which communities they guide.

An instructor is kept by a district (their ``district_code``); the district assigns them to its
communities. Routing hands each community's members to its instructors too.
"""

from __future__ import annotations

import attrs

from partyreg_core.orgcodes import OrgCode


@attrs.frozen
class Instructor:
    """A community work instructor: name, phone, the district that keeps them (``None`` for
    an instructor made with an operator account and not yet given a district) and the ids of
    the communities they guide, ascending."""

    id: int
    name: str
    phone: str = ""
    district_code: OrgCode | None = None
    community_ids: tuple[int, ...] = ()
