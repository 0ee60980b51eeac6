"""What the members screen offers to filter by is the core's answer for the operator's scope
(``ws.members.visible_communities`` / ``visible_posts``), not the screen's own rule."""

from __future__ import annotations

from pathlib import Path

from partyreg_core.workspace import Workspace
from tests.tui import support


def test_each_role_sees_the_communities_and_posts_of_its_scope(
    workspace: Workspace, city_db: Path
) -> None:
    every = {c.name for c in workspace.communities()}
    assert {"河下社区", "府前社区", "承德路社区"} <= every
    assert {c.name for c in workspace.members.visible_communities()} == every  # the city
    all_posts = {p.code for p in workspace.post_catalog.all()}
    assert {p.code for p in workspace.members.visible_posts()} == all_posts

    hexia = next(c for c in workspace.communities() if c.name == "河下社区")
    workspace.operators.add("huaian", "district", ["008.003"])
    workspace.operators.add("hexia", "community", [str(hexia.id)])

    district = support.open_workspace(city_db, "huaian", later=True)
    seen = {c.name for c in district.members.visible_communities()}
    assert seen == {c.name for c in workspace.communities("008.003")}
    assert "承德路社区" not in seen and "河下社区" in seen
    posts = {p.code for p in district.members.visible_posts()}
    assert posts == {p.code for p in workspace.post_catalog.for_district(district.actor.scope.code)}
    district.close()

    community = support.open_workspace(city_db, "hexia", later=True)
    assert [c.id for c in community.members.visible_communities()] == [hexia.id]
    community.close()
