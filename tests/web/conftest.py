"""The members' site over a real store: three members of 008.010 routed to their communities
(the store of ``tests/cli/test_rules.py``), the app in-process (Starlette's TestClient) or
served by uvicorn on a free loopback port for the browser tests."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from starlette.testclient import TestClient

from partyreg_core.members.model import MemberQuery, Route
from partyreg_core.workspace import Workspace
from partyreg_web.app import create_app
from partyreg_web.site import SiteSettings
from tests.cli.test_import import DIRECTORY, FORM1_HEADER, GOOD, write_xlsx
from tests.cli.test_years import Runner

ORIGIN = "http://testserver"


def prepare(run: Runner) -> Runner:
    """Init the store, import the directory and 附表1, route every member."""
    run.ok("init")
    run.json("import", str(write_xlsx(run.tmp / "dir.xlsx", DIRECTORY)), "--date", "2014-08-20")
    run.json(
        "import",
        str(write_xlsx(run.tmp / "f1.xlsx", [FORM1_HEADER, *GOOD])),
        "--date",
        "2014-08-28",
    )
    ws = Workspace(run.db)
    ws.routing.assign(
        [
            Route(m.id, m.district_code, m.community_id)  # type: ignore[arg-type]
            for m in ws.members.iter(MemberQuery())
        ]
    )
    ws.close()
    return run


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return prepare(Runner(tmp_path))


def member_id(run: Runner, name: str) -> int:
    ws = Workspace(run.db)
    try:
        return ws.members.find(name)[0].id
    finally:
        ws.close()


def invite(run: Runner, name: str, *extra: str) -> str:
    """A fresh sign-in link's token for ``name`` (``members invite --json``)."""
    url = run.json("members", "invite", name, *extra)["url"]
    return str(url.rsplit("/s/", 1)[1])


def make_app(db: str, settings: SiteSettings | None = None) -> Any:
    return create_app(lambda: Workspace(db), settings=settings)


@pytest.fixture
def client(run: Runner) -> Iterator[TestClient]:
    with TestClient(make_app(run.db), base_url=ORIGIN) as c:
        yield c


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def sign_in(client: TestClient, token: str) -> Any:
    """Open the link, press 登录: the session cookie is set."""
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    done = client.post(f"/s/{token}", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/me"
    return done


def api_csrf(client: TestClient) -> str:
    return str(client.get("/api/me").json()["csrf"])


def post_json(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(
        path,
        content=json.dumps(body, ensure_ascii=False),
        headers={"content-type": "application/json", "x-csrf-token": api_csrf(client)},
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    """The app under uvicorn in a thread on a free loopback port."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        for _ in range(500):  # started when it answers (not a timing assertion)
            if self.server.started:
                return self
            time.sleep(0.01)
        raise RuntimeError("uvicorn did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
