"""Plugin loading: entry points, extra plugins, clashes, misspelt hooks, the example plugin."""

from __future__ import annotations

import types

import pytest

from partyreg_core.errors import PluginError
from partyreg_core.hookspecs import hookimpl
from partyreg_core.orgcodes import OrgCode
from partyreg_core.plugins import collect_posts, list_plugins, make_plugin_manager
from partyreg_core.posts import Post
from partyreg_core.workspace import Workspace


def plugin(name: str, **hooks: object) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, func in hooks.items():
        setattr(module, hook_name, hookimpl(func))  # type: ignore[arg-type]
    return module


def local_posts(*posts: Post) -> types.ModuleType:
    def partyreg_register_posts(register):  # type: ignore[no-untyped-def]
        for post in posts:
            register(post)

    return plugin(f"posts_{posts[0].code}", partyreg_register_posts=partyreg_register_posts)


def test_builtin_plugins_load_through_entry_points() -> None:
    pm = make_plugin_manager()
    names = {info.name for info in list_plugins(pm)}
    assert "posts_builtin" in names
    builtin_info = next(i for i in list_plugins(pm) if i.name == "posts_builtin")
    assert builtin_info.package == "partyreg"
    assert builtin_info.hooks == ("partyreg_register_posts",)


def test_only_limits_what_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARTYREG_LOAD_PLUGINS", "posts_builtin")
    pm = make_plugin_manager()
    assert [i.name for i in list_plugins(pm)] == ["posts_builtin"]


def test_extra_plugins_register_posts_stamped_with_their_name() -> None:
    extra = local_posts(Post("201", "清江浦测试岗", OrgCode(("008", "001"))))
    pm = make_plugin_manager([extra], only=["posts_builtin"])
    catalog = collect_posts(pm)
    post = catalog.get("201", OrgCode(("008", "001")))
    assert post is not None and post.plugin == "posts_201"
    assert catalog.get("201", OrgCode(("008", "002"))) is None


def test_a_post_clash_between_plugins_refuses_start_up_naming_both() -> None:
    first = local_posts(Post("301", "岗位甲", OrgCode(("008", "004"))))
    second = local_posts(Post("301", "岗位乙", OrgCode(("008", "004"))))
    second.__name__ = "second_county_plugin"
    pm = make_plugin_manager([first, second], only=["posts_builtin"])
    with pytest.raises(PluginError) as info:
        collect_posts(pm)
    assert "posts_301" in info.value.message and "second_county_plugin" in info.value.message


def test_a_misspelt_hook_fails_loudly() -> None:
    from pluggy import PluginValidationError

    bad = plugin("typo", partyreg_register_post=lambda register: None)
    with pytest.raises(PluginValidationError):
        make_plugin_manager([bad], only=[])


def test_the_example_plugin_is_installed_and_scoped_to_its_district() -> None:
    ws = Workspace(plugin_manager=make_plugin_manager())
    assert "huaian_local" in {i.name for i in ws.plugins()}
    huaian = {p.code: p.name for p in ws.posts("008.003")}
    assert huaian["101"] == "运河文化宣讲岗" and "102" in huaian and len(huaian) == 17
    assert len(ws.posts("008.004")) == 15
    assert len(ws.posts()) == 15


def test_the_example_plugin_registers_directly_too() -> None:
    import partyreg_huaian_local

    pm = make_plugin_manager([partyreg_huaian_local], only=["posts_builtin"])
    ws = Workspace(plugin_manager=pm)
    assert [p.code for p in ws.posts("008.003")][-2:] == ["101", "102"]
    assert [p.code for p in ws.posts("008.005")][-1] == "15"
