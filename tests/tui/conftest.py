"""Fixtures of the TUI tests: one city store built per session, copied for each test."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from pathlib import Path

import pytest

from partyreg_core.workspace import Workspace
from partyreg_tui.app import PartyregApp
from tests.tui import support


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests (Pilot) in a fresh event loop — no async plugin needed."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture(scope="session")
def city_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo city's store, built once."""
    return support.build_city(tmp_path_factory.mktemp("city"))


@pytest.fixture
def city_db(city_template: Path, tmp_path: Path) -> Path:
    """A private copy of the city store."""
    return support.copy_store(city_template, tmp_path)


@pytest.fixture
def workspace(city_db: Path) -> Iterator[Workspace]:
    """The facade on the copy, as the city operator ``tester`` on 2014-08-28."""
    with support.fixed_tokens(start=0x1000):
        ws = support.open_workspace(city_db, later=True)
        yield ws
        ws.close()


@pytest.fixture
def app(workspace: Workspace) -> PartyregApp:
    """The app on that workspace, in Textual's dark theme (snapshots do not depend on the
    test machine's TERM)."""
    return PartyregApp(workspace, theme="textual-dark")
