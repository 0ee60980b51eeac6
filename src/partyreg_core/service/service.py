"""What the facade offers for a community's service (``ws.service``): the needs list and its
publication, the specialty map and the leader rule, post assignment by wish and specialty,
and groups with leaders — for one community or every one the operator looks after.

Each committed step is reported as an event (``needs.add``, ``needs.edit``, ``needs.remove``,
``needs.published``, ``assign.replace``, ``group.replace``): the ``partyreg_on_changed``
listeners (the notifications among them) hear every one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

import attrs

from partyreg_core.batches import Batch, BatchKind
from partyreg_core.communities import Community
from partyreg_core.operators.model import Actor
from partyreg_core.orgcodes import OrgCode, OrgUnit
from partyreg_core.posts import Post, PostCatalog
from partyreg_core.records import record_id
from partyreg_core.service.model import (
    Assignment,
    AssignmentRun,
    Candidate,
    Group,
    GroupingRun,
    GroupMember,
    LeaderCriterion,
    Need,
    Opening,
    SizeBounds,
    SpecialtyMap,
)
from partyreg_core.service.port import AssignmentSolver, ServiceRepository
from partyreg_core.service.rules import (
    LEADER_RULE_SETTING,
    SPECIALTIES_SETTING,
    assign_posts,
    check_need,
    check_specialty_word,
    leader_rule,
    need_json,
    need_not_found,
    no_communities,
    no_solver,
    plan_groups,
    post_for,
    specialty_map,
    specialty_post,
)

#: What the service reports to the facade: event, subject, before, after.
Changed = Callable[[str, str, Mapping[str, Any] | None, Mapping[str, Any] | None], None]


def _need_change(need: Need) -> dict[str, Any]:
    """A needs row as its events carry it: with its community, without its publication."""
    row = need_json(need)
    del row["published_on"]
    return {"id": row.pop("id"), "community_id": need.community_id, **row}


@attrs.define
class CommunityService:
    """A community's service for one acting operator.

    :param repository: the store's part (:class:`~partyreg_core.service.port.ServiceRepository`).
    :param actor: who is acting (asked when needed: the facade resolves it lazily).
    :param today: today's date in Asia/Shanghai.
    :param default_year: the year a command means when it names none (decision 0073).
    :param refuse_closed_year: the year lock, raised the same way on every path.
    :param post_catalog: the posts, city-wide and local.
    :param code: an org unit by its code as typed.
    :param community: a community by ``县区/街道/社区`` or id, from the directory.
    :param communities: the directory, or one district's part.
    :param setting: a shared setting (``service.specialties``, ``service.leader_rule``).
    :param set_setting: changes a shared setting (city operators; audited, reported).
    :param plugin_specialties: the plugins' 特长 words (``partyreg_register_specialties``).
    :param solver: the plugins' assignment solver (``None``: none loaded).
    :param batch: a new batch of a kind, a file text, a row count and a business date.
    :param queued_by: collects the outbox messages queued inside it under a batch.
    :param changed: reports each committed step (``partyreg_on_changed``).
    """

    repository: ServiceRepository
    actor: Callable[[], Actor]
    today: Callable[[], date]
    default_year: Callable[[], int]
    refuse_closed_year: Callable[[int], None]
    post_catalog: Callable[[], PostCatalog]
    code: Callable[[OrgCode | str], OrgUnit]
    community: Callable[[str], Community]
    communities: Callable[[OrgCode | None], list[Community]]
    setting: Callable[[str], Any]
    set_setting: Callable[[str, Any], None]
    plugin_specialties: Callable[[], Mapping[str, Sequence[str]]]
    solver: Callable[[], AssignmentSolver | None]
    batch: Callable[[BatchKind, str, int, date | None], Batch]
    queued_by: Callable[[Batch], AbstractContextManager[list[int]]]
    changed: Changed

    # -- which community, which post -------------------------------------------------------

    def find(self, community: str | int) -> Community:
        """A community named by id (read alone, without the whole directory) or as
        ``县区/街道/社区``."""
        text = str(community).strip()
        number = record_id(text)
        if number is not None:
            return self.repository.community(number)
        return self.community(text)

    def post(self, community: Community, text: str) -> Post:
        """The post ``text`` names (code or name) among those valid in the community's
        district, or ``needs.post``."""
        return post_for(self.post_catalog(), community, text)

    def post_name(self, code: str, district: OrgCode | None) -> str:
        """A post's name in ``district`` (its code when no plugin knows it any more)."""
        post = self.post_catalog().get(code, district)
        return post.name if post is not None else f"{code}号岗"

    def communities_of(
        self, communities: Sequence[str | int] | None = None, *, district: str | None = None
    ) -> list[Community]:
        """The communities named, or every community the operator looks after (a district's
        when ``district`` is given): those whose service the operator may arrange."""
        if communities:
            return [self.find(c) for c in communities]
        scope = self.actor().scope
        found = self.communities(self.code(district).code if district else None)
        mine = [c for c in found if scope.covers_community(c.id, c.district_code)]
        if not mine:
            raise no_communities()
        return mine

    # -- the needs list ---------------------------------------------------------------------

    def needs(self, community: str | int, *, year: int | None = None) -> list[Need]:
        """A community's needs list (of ``year``; every year when ``None``)."""
        found = self.find(community)
        return self.repository.needs(self.actor(), found.id, year)

    def add_need(
        self,
        community: str | int,
        post: str,
        people: int,
        *,
        purpose: str = "",
        start: date | None = None,
        end: date | None = None,
        year: int | None = None,
    ) -> Need:
        """Add a row to a community's needs list: a post valid in its district (city-wide or
        local), how many people, what for, when (``year`` defaults to the start's, else this
        year)."""
        found = self.find(community)
        code = self.post(found, post).code
        need = check_need(
            Need(
                community_id=found.id,
                year=year or (start.year if start else self.default_year()),
                post_code=code,
                people=people,
                purpose=purpose,
                start_on=start,
                end_on=end,
            )
        )
        saved = self.repository.save_need(self.actor(), need)
        self.changed("needs.add", f"need:{saved.id}", None, _need_change(saved))
        return saved

    def edit_need(
        self,
        community: str | int,
        need_id: int,
        *,
        post: str | None = None,
        people: int | None = None,
        purpose: str | None = None,
        start: date | None = None,
        end: date | None = None,
        year: int | None = None,
    ) -> Need:
        """Change a needs row (only the fields given); it must be published again."""
        found = self.find(community)
        actor = self.actor()
        current = next((n for n in self.repository.needs(actor, found.id) if n.id == need_id), None)
        if current is None:
            raise need_not_found(found.label, need_id)
        changed = attrs.evolve(
            current,
            post_code=self.post(found, post).code if post is not None else current.post_code,
            people=people if people is not None else current.people,
            purpose=purpose if purpose is not None else current.purpose,
            start_on=start if start is not None else current.start_on,
            end_on=end if end is not None else current.end_on,
            year=year if year is not None else current.year,
        )
        saved = self.repository.save_need(actor, check_need(changed))
        self.changed("needs.edit", f"need:{need_id}", _need_change(current), _need_change(saved))
        return saved

    def remove_need(self, community: str | int, need_id: int) -> Need:
        """Remove a needs row (the audit log keeps it)."""
        found = self.find(community)
        removed = self.repository.remove_need(self.actor(), found.id, need_id)
        self.changed("needs.remove", f"need:{need_id}", _need_change(removed), None)
        return removed

    def publish_needs(
        self, community: str | int, *, year: int | None = None, on: date | None = None
    ) -> list[Need]:
        """Publish the community's needs list of ``year``: records the date and emits
        ``needs.published`` (the notifications tell the community's members and units)."""
        found = self.find(community)
        the_year = year or self.default_year()
        published = self.repository.publish_needs(
            self.actor(), found.id, the_year, on or self.today()
        )
        self.changed(
            "needs.published",
            f"community:{found.id}",
            None,
            {
                "community_id": found.id,
                "community": f"{found.district} {found.street} {found.name}",
                "year": the_year,
                "needs": [
                    {
                        "post_code": n.post_code,
                        "post": self.post_name(n.post_code, found.district_code),
                        "people": n.people,
                        "purpose": n.purpose,
                    }
                    for n in published
                ],
            },
        )
        return published

    # -- the specialty map and the leader rule ----------------------------------------------

    def specialty_map(self) -> SpecialtyMap:
        """The specialty map assignment uses: the built-in words, the plugins' words
        (``partyreg_register_specialties``), then the ``service.specialties`` setting."""
        return specialty_map(self.plugin_specialties(), self.setting(SPECIALTIES_SETTING))

    def set_specialty(self, word: str, posts: Sequence[str]) -> SpecialtyMap:
        """Map ``word`` to ``posts`` (none: remove the word) in the ``service.specialties``
        setting (city operators; audited)."""
        key = check_specialty_word(word)
        catalog = self.post_catalog()
        codes = [specialty_post(catalog, text).code for text in posts]
        current = self.setting(SPECIALTIES_SETTING)
        value = dict(current) if isinstance(current, Mapping) else {}
        value[key] = codes
        self.set_setting(SPECIALTIES_SETTING, value)
        return self.specialty_map()

    def leader_rule(self) -> tuple[LeaderCriterion, ...]:
        """The leader rule: the ``service.leader_rule`` setting, else rank, then hours."""
        return leader_rule(self.setting(LEADER_RULE_SETTING))

    # -- assignment -----------------------------------------------------------------------------

    def assign(
        self, community: str | int, *, year: int | None = None, dry_run: bool = False
    ) -> AssignmentRun:
        """Assign the community's members (routed or reported in) to the posts of its needs
        list of ``year`` by wishes and specialty (:func:`partyreg_core.service.rules.assign_posts`)
        and store it, replacing that year's assignment (not in a dry run)."""
        return self.assign_many([community], year=year, dry_run=dry_run)[0]

    def assign_many(
        self,
        communities: Sequence[str | int] | None = None,
        *,
        district: str | None = None,
        year: int | None = None,
        dry_run: bool = False,
    ) -> list[AssignmentRun]:
        """:meth:`assign` for many communities (default: every one the operator looks after),
        read and written in one transaction each."""
        found = self.communities_of(communities, district=district)
        the_year = year or self.default_year()
        self.refuse_closed_year(the_year)  # a dry run says so too (decision 0073)
        actor = self.actor()
        ids = [c.id for c in found]
        rosters = self.repository.rosters(actor, ids)
        needs = self.repository.needs_of(actor, ids, the_year)
        specialties = self.specialty_map()
        solver = self.solver()
        if solver is None:
            raise no_solver()
        catalog = self.post_catalog()
        names: dict[OrgCode, dict[str, str]] = {}
        results = []
        for c in found:
            if c.district_code not in names:
                names[c.district_code] = {
                    p.code: p.name for p in catalog.for_district(c.district_code)
                }
            post_names = names[c.district_code]
            people = rosters.get(c.id, [])
            candidates = [Candidate(m.member_id, m.name, m.claims, m.specialty) for m in people]
            openings = [
                Opening(n.post_code, post_names.get(n.post_code, f"{n.post_code}号岗"), n.people)
                for n in needs.get(c.id, [])
            ]
            results.append(
                (c, assign_posts(candidates, openings, specialties, solver, post_names), people)
            )
        written: dict[int, int] = {}
        batch_id = None
        if not dry_run:
            batch = self.batch(
                BatchKind.ASSIGN,
                f"assign {the_year}",
                sum(len(r.placements) for _c, r, _p in results),
                None,
            )
            batch_id = batch.id
            written = self.repository.replace_assignments_many(
                actor,
                the_year,
                {
                    c.id: [
                        Assignment(p.member_id, c.id, the_year, p.post_code, p.reason)
                        for p in result.placements
                    ]
                    for c, result, _people in results
                },
                self.today(),
                batch=batch,
            )
            with self.queued_by(batch):
                for c, result, _people in results:
                    self.changed(
                        "assign.replace",
                        f"community:{c.id}",
                        None,
                        {
                            "community_id": c.id,
                            "year": the_year,
                            "assigned": written[c.id],
                            "left_over": len(result.left_over),
                        },
                    )
        return [
            AssignmentRun(c, the_year, result, dry_run, written.get(c.id, 0), len(people), batch_id)
            for c, result, people in results
        ]

    def assignments(self, community: str | int, *, year: int | None = None) -> list[Assignment]:
        """The community's stored post assignment of ``year``."""
        found = self.find(community)
        return self.repository.assignments(self.actor(), found.id, year or self.default_year())

    # -- groups ---------------------------------------------------------------------------------

    def group(
        self,
        community: str | int,
        *,
        year: int | None = None,
        bounds: SizeBounds | None = None,
        rule: Sequence[LeaderCriterion] | None = None,
        dry_run: bool = False,
    ) -> GroupingRun:
        """Group the members of the year's assignment by post, balanced within ``bounds``, each
        group with a leader by ``rule`` (default :meth:`leader_rule`), and store the groups,
        replacing that year's (not in a dry run)."""
        return self.group_many([community], year=year, bounds=bounds, rule=rule, dry_run=dry_run)[0]

    def group_many(
        self,
        communities: Sequence[str | int] | None = None,
        *,
        district: str | None = None,
        year: int | None = None,
        bounds: SizeBounds | None = None,
        rule: Sequence[LeaderCriterion] | None = None,
        dry_run: bool = False,
    ) -> list[GroupingRun]:
        """:meth:`group` for many communities (default: every one the operator looks after),
        read and written in one transaction each."""
        found = self.communities_of(communities, district=district)
        the_year = year or self.default_year()
        self.refuse_closed_year(the_year)  # a dry run says so too (decision 0073)
        the_rule = tuple(rule) if rule else self.leader_rule()
        the_bounds = bounds or SizeBounds()
        actor = self.actor()
        ids = [c.id for c in found]
        assigned = self.repository.assignments_of(actor, ids, the_year)
        rosters = self.repository.rosters(actor, ids)
        people = {m.member_id: m for entries in rosters.values() for m in entries}
        hours = self.repository.hours(
            actor, [a.member_id for rows in assigned.values() for a in rows], the_year - 1
        )
        plans = []
        for c in found:
            mine = {m.member_id for m in rosters.get(c.id, [])}
            current = [a for a in assigned.get(c.id, []) if a.member_id in mine]
            to_group = []
            for a in current:
                member = people[a.member_id]
                wish = (
                    member.claims.index(a.post_code) + 1 if a.post_code in member.claims else None
                )
                to_group.append(
                    GroupMember(
                        member.member_id,
                        member.name,
                        a.post_code,
                        rank=member.rank,
                        hours=hours.get(member.member_id, 0.0),
                        wish_rank=wish,
                    )
                )
            names = {
                code: self.post_name(code, c.district_code)
                for code in {a.post_code for a in current}
            }
            plans.append((c, plan_groups(to_group, the_bounds, the_rule, names)))
        stored: dict[int, list[Group]] = {}
        batch_id = None
        if not dry_run:
            batch = self.batch(
                BatchKind.GROUP, f"group {the_year}", sum(len(p) for _c, p in plans), None
            )
            batch_id = batch.id
            stored = self.repository.replace_groups_many(
                actor,
                the_year,
                {
                    c.id: [
                        Group(c.id, the_year, g.post_code, g.name, g.leader_id, g.member_ids)
                        for g in planned
                    ]
                    for c, planned in plans
                },
                batch=batch,
            )
            with self.queued_by(batch):
                for c, _planned in plans:
                    self.changed(
                        "group.replace",
                        f"community:{c.id}",
                        None,
                        {"community_id": c.id, "year": the_year, "groups": len(stored[c.id])},
                    )
        return [
            GroupingRun(
                c,
                the_year,
                tuple(planned),
                tuple(stored.get(c.id, [])),
                the_bounds,
                the_rule,
                dry_run,
                {m.member_id: m.name for m in rosters.get(c.id, [])},
                batch_id,
            )
            for c, planned in plans
        ]

    def groups(self, community: str | int, *, year: int | None = None) -> list[Group]:
        """The community's stored groups of ``year``, leader first in each."""
        found = self.find(community)
        return self.repository.groups(self.actor(), found.id, year or self.default_year())
