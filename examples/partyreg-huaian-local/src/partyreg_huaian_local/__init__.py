"""An example third-party plugin for 淮安区 (code 008.003): two local service posts, and the
county's own CSV layout as an import format (:mod:`partyreg_huaian_local.county_csv`).

Members whose report-in community lies in 淮安区 may claim the local posts; members elsewhere
may not.
Install it with ``pip install -e examples/partyreg-huaian-local`` and check with
``partyreg posts list --district 008.003``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from partyreg_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from partyreg_core.ports import TableFormat
    from partyreg_core.posts import Post

# Every ``partyreg`` command loads every plugin, ``partyreg --help`` included: a plugin module
# imports only the hook markers, and what its hooks need when they are called.


@hookimpl
def partyreg_register_posts(register: Callable[[Post], None]) -> None:
    """Register 淮安区's two local posts."""
    from partyreg_core.orgcodes import OrgCode
    from partyreg_core.posts import Post

    district = OrgCode(("008", "003"))
    register(
        Post("101", "运河文化宣讲岗", district, description="向居民宣讲大运河文化与淮安历史。")
    )
    register(
        Post("102", "周恩来精神传承岗", district, description="组织青少年参观学习，传承红色精神。")
    )


@hookimpl(tryfirst=True)
def partyreg_register_formats(register: Callable[[TableFormat], None]) -> None:
    """Register 淮安区's CSV layout, ahead of the built-in CSV reader."""
    from partyreg_huaian_local.county_csv import HuaianCsvFormat

    register(HuaianCsvFormat())
