"""What a store provides for routing (``Store.routing``): the directory's maintenance, the
instructors, routing runs and their queue, report-in, and changes of community."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Protocol

from partyreg_core.batches import Batch
from partyreg_core.changes import ChangeRequest, ChangeStatus
from partyreg_core.communities import Community
from partyreg_core.instructors import Instructor
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode
from partyreg_core.records import CommunityRef, DirectoryEntry
from partyreg_core.routing.model import QueuedMember, ReportInResult, RoutingRun
from partyreg_core.routing.rules import Router


class RoutingRepository(Protocol):
    """Routing in a store. Every method is one transaction within the actor's scope (the
    directory and the instructors are shared reads) and leaves its audit entries."""

    # -- the directory and the instructors ----------------------------------------------------

    def add_community(self, actor: Actor, entry: DirectoryEntry) -> Community:
        """Add one community to the directory (city, or the district of ``entry``; its
        ``district_code`` set); audited. A community already there is a conflict."""

    def edit_community(self, actor: Actor, community_id: int, entry: DirectoryEntry) -> Community:
        """Change a community's street, name or contact columns (the 县区 stays); audited with
        the changed fields."""

    def instructors(self, district: OrgCode | None = None) -> list[Instructor]:
        """Every community work instructor (shared, like the directory), or those a district
        keeps or whose communities lie in it."""

    def add_instructor(self, actor: Actor, name: str, phone: str, district: OrgCode) -> Instructor:
        """Add an instructor kept by ``district`` (city, or that district); audited."""

    def set_instructor_communities(
        self,
        actor: Actor,
        instructor_id: int,
        *,
        add: Sequence[int] = (),
        remove: Sequence[int] = (),
    ) -> Instructor:
        """Assign an instructor to communities of their district, or take them off; audited."""

    def route_pending(
        self,
        actor: Actor,
        router: Router,
        on: date,
        *,
        unit: OrgCode | None = None,
        only: CommunityRef | None = None,
        dry_run: bool = False,
        batch: Batch | None = None,
    ) -> RoutingRun:
        """Route every pending member within the scope (registered, or waiting in a district's
        queue) as ``router`` plans, set-based; district and city operators only. ``unit``
        limits the run to a subtree, ``only`` to members who wrote that community. One audit
        entry per run; a member the plan would take out of the operator's scope is skipped."""

    def queued_members(self, actor: Actor) -> list[QueuedMember]:
        """Members waiting within the scope: in a district's queue (routed, no community) or,
        with an unknown 县区, registered without a district."""

    def confirm_report_in(
        self, actor: Actor, member_ids: Sequence[int], on: date, *, batch: Batch | None = None
    ) -> ReportInResult:
        """Confirm report-in of routed members at the community they were routed to (only its
        operators, instructors, district or the city); all or nothing; audited per community
        (with ``batch``: written as that batch, which ``undo_batch`` takes back)."""

    # -- changes of community ----------------------------------------------------------------

    def request_change(
        self, actor: Actor, member_id: int, to: CommunityRef | int, reason: str, on: date
    ) -> ChangeRequest:
        """File a change-of-community request for a routed member the actor sees, to a
        directory community (by id or names) other than the current one; one pending request
        per member (``change.pending``)."""

    def change_requests(
        self, actor: Actor, status: ChangeStatus | None = None
    ) -> list[ChangeRequest]:
        """Change requests of the members within the scope (of ``status``), newest first."""

    def decide_change(
        self, actor: Actor, request_id: int, approve: bool, reason: str | None, on: date
    ) -> ChangeRequest:
        """Approve or reject a pending request; only the member's unit side (the unit, its
        superiors, the city) decides. Approval ends the open route on ``on``, routes the
        member to the new community and its district, and makes them ``routed`` there; routes,
        activities and sheets of the old community stay."""
