"""The domain modules of partyreg_core are pure: no I/O library, no file, no clock."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import partyreg_core

CORE = Path(partyreg_core.__file__).parent
# Modules that are allowed to touch the outside world: the ports and plugin machinery, the facade,
# the one reader of the shipped package data, and the one reader of the OS identity.
NOT_DOMAIN = {
    "hookspecs", "plugins", "workspace", "builtin", "ports", "importing", "identity", "outputs",
}  # fmt: skip
THIRD_PARTY_ALLOWED = {"attrs", "cattrs", "pypinyin"}
FORBIDDEN_STDLIB = {
    "os", "io", "pathlib", "shutil", "tempfile", "glob", "socket", "ssl", "subprocess", "sqlite3",
    "urllib", "http", "smtplib", "ftplib", "zipfile", "tarfile", "gzip", "bz2", "lzma", "csv",
    "pickle", "shelve", "dbm", "select", "selectors", "asyncio", "threading", "multiprocessing",
    "signal", "time", "importlib", "logging", "mmap", "fileinput", "webbrowser", "ctypes",
}  # fmt: skip
# parts of a forbidden package that only compute (splitting a URL is text work)
PURE_SUBMODULES = {"urllib.parse"}
CLOCK_CALLS = {
    ("date", "today"),
    ("datetime", "now"),
    ("datetime", "today"),
    ("datetime", "utcnow"),
}

# feature packages (STYLE.md): every package's values and rules are pure, and so are the
# services of those that reach the store only through their port (the port is types only)
PURE_SERVICES = ("wishes", "points", "nudges", "events", "members", "service")
DOMAIN_MODULES = sorted(
    [p for p in CORE.glob("*.py") if p.stem not in NOT_DOMAIN and p.stem != "__init__"]
    + list(CORE.glob("*/model.py"))
    + list(CORE.glob("*/rules.py"))
    + list(CORE.glob("*/fields.py"))
    + [CORE / name / "service.py" for name in PURE_SERVICES]
)


def test_there_are_domain_modules_to_check() -> None:
    names = {p.stem for p in DOMAIN_MODULES}
    assert {"orgcodes", "posts", "records", "calendar", "text"} <= names


@pytest.mark.parametrize(
    "path",
    DOMAIN_MODULES,
    ids=lambda p: p.stem if p.parent == CORE else f"{p.parent.name}.{p.stem}",
)
def test_domain_module_is_pure(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        for name in names:
            top = name.split(".")[0]
            if top in ("partyreg_core", "__future__") or top in THIRD_PARTY_ALLOWED:
                if top == "partyreg_core" and name.split(".")[-1] in NOT_DOMAIN - {"ports"}:
                    problems.append(f"imports {name}")
                continue
            if name in PURE_SUBMODULES:
                continue
            if top in FORBIDDEN_STDLIB or top not in sys.stdlib_module_names:
                problems.append(f"imports {name}")
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"open", "input", "print", "exec", "eval"}:
                problems.append(f"calls {func.id}() at line {node.lineno}")
            if (
                isinstance(func, ast.Attribute)
                and isinstance(func.value, ast.Name)
                and (func.value.id, func.attr) in CLOCK_CALLS
            ):
                problems.append(
                    f"reads the clock ({func.value.id}.{func.attr}) at line {node.lineno}"
                )
    assert problems == [], f"{path.name} is not pure: {problems}"


def test_the_checker_catches_an_impure_module(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom datetime import date\nx = date.today()\nopen('f')\n", "utf-8")
    with pytest.raises(AssertionError, match="imports os"):
        test_domain_module_is_pure(bad)
