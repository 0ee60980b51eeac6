"""Every hook is documented: a docstring with its parameters, and a section in the docs."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from partyreg_core import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugin_hooks.md"
HOOKS = sorted(
    name for name, obj in vars(hookspecs).items()
    if name.startswith("partyreg_") and inspect.isfunction(obj)
)  # fmt: skip


def test_there_are_hooks() -> None:
    assert {"partyreg_register_storage", "partyreg_register_posts", "partyreg_on_changed"} <= set(
        HOOKS
    )


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_docstring_naming_each_parameter(name: str) -> None:
    func = getattr(hookspecs, name)
    doc = inspect.getdoc(func) or ""
    assert len(doc) > 80, f"{name} needs a docstring that says when it is called and what to do"
    for param in inspect.signature(func).parameters:
        assert f":param {param}:" in doc, f"{name}'s docstring does not describe {param!r}"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_has_a_section_in_the_docs(name: str) -> None:
    text = DOCS.read_text("utf-8")
    assert re.search(rf"^### `?{name}`?", text, re.MULTILINE), f"{name} missing in {DOCS.name}"


def test_docs_name_no_hook_that_does_not_exist() -> None:
    documented = re.findall(r"^### `?(partyreg_\w+)`?", DOCS.read_text("utf-8"), re.MULTILINE)
    assert sorted(documented) == HOOKS
