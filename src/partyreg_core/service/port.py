"""What a community's service reaches outside the core: the store's needs lists, assignments
and groups (``Store.service``), and the numerical solver a plugin provides for post
assignment (``partyreg_assignment_solver``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Protocol

from partyreg_core.batches import Batch
from partyreg_core.communities import Community
from partyreg_core.operators.model import Actor
from partyreg_core.service.model import Assignment, Group, Need, RosterEntry


class AssignmentSolver(Protocol):
    """Solves the weighted assignment the core states (a plugin provides one)."""

    def __call__(self, weights: Sequence[Sequence[int]], capacities: Sequence[int]) -> list[int]:
        """For each row (member), the column (post) it gets, or -1.

        Maximises the total weight; column ``c`` is used at most ``capacities[c]`` times; a pair
        of weight 0 is never used. Must be deterministic: the same input, the same answer.
        """


class ServiceRepository(Protocol):
    """Needs, assignments and groups in a store. Every method is one transaction; each write
    leaves one audit entry per community. Writes are for the community's own operators
    (community and instructor roles), its district and the city; nothing of a closed year is
    written (decision 0073). The needs list is readable by everyone; assignments and group
    members only where the member is visible."""

    def community(self, community_id: int) -> Community:
        """One community of the directory by id (``community.unknown`` when there is none)."""

    # -- needs --------------------------------------------------------------------------------

    def needs(self, actor: Actor, community_id: int, year: int | None = None) -> list[Need]:
        """A community's needs list (of ``year``), by post code (readable by everyone)."""

    def save_need(self, actor: Actor, need: Need) -> Need:
        """Add (``need.id is None``) or change a needs row; a change clears its publication
        date. Only the community's operators, its district and the city write (audited)."""

    def remove_need(self, actor: Actor, community_id: int, need_id: int) -> Need:
        """Remove a needs row (audited)."""

    def publish_needs(self, actor: Actor, community_id: int, year: int, on: date) -> list[Need]:
        """Record the publication of the year's needs list on ``on`` (audited)."""

    # -- what assignment and grouping read ----------------------------------------------------

    def roster(self, actor: Actor, community_id: int) -> list[RosterEntry]:
        """The members routed or reported in at the community (visible in the scope), by id."""

    def rosters(self, actor: Actor, community_ids: Sequence[int]) -> dict[int, list[RosterEntry]]:
        """:meth:`roster` of many communities (one transaction)."""

    def needs_of(
        self, actor: Actor, community_ids: Sequence[int], year: int
    ) -> dict[int, list[Need]]:
        """The needs lists of ``year`` of many communities (one transaction)."""

    def assignments_of(
        self, actor: Actor, community_ids: Sequence[int], year: int
    ) -> dict[int, list[Assignment]]:
        """The assignments of ``year`` of many communities (members visible in the scope)."""

    def hours(self, actor: Actor, member_ids: Sequence[int], year: int) -> dict[int, float]:
        """Confirmed service hours of ``year`` per member, within the scope (members with none
        are left out)."""

    # -- assignments and groups -----------------------------------------------------------------

    def assignments(self, actor: Actor, community_id: int, year: int) -> list[Assignment]:
        """The community's post assignment of ``year`` (members visible in the scope)."""

    def replace_assignments(
        self, actor: Actor, community_id: int, year: int, rows: Sequence[Assignment], on: date
    ) -> int:
        """Replace the community's assignment of ``year`` (members routed or reported in
        there; audited with before and after)."""

    def replace_assignments_many(
        self,
        actor: Actor,
        year: int,
        by_community: Mapping[int, Sequence[Assignment]],
        on: date,
        *,
        batch: Batch | None = None,
    ) -> dict[int, int]:
        """:meth:`replace_assignments` for many communities in one transaction (with ``batch``:
        one batch that ``undo_batch`` takes back)."""

    def groups(self, actor: Actor, community_id: int, year: int) -> list[Group]:
        """The community's groups of ``year``, leader first in each."""

    def replace_groups(
        self, actor: Actor, community_id: int, year: int, planned: Sequence[Group]
    ) -> list[Group]:
        """Replace the community's groups of ``year`` (refused while activities name an old
        group; audited with before and after)."""

    def replace_groups_many(
        self,
        actor: Actor,
        year: int,
        by_community: Mapping[int, Sequence[Group]],
        *,
        batch: Batch | None = None,
    ) -> dict[int, list[Group]]:
        """:meth:`replace_groups` for many communities in one transaction (with ``batch``: one
        batch that ``undo_batch`` takes back)."""
