"""A SQLite store shared by a Unix group on one server, tried by real OS users: another user
(created here with ``useradd``, run with ``runuser``) sets USER/LOGNAME, PARTYREG_OPERATOR and
``--as`` to become someone else, and one outside the group tries the file directly. Each is
refused in one Chinese line (exit 2), and — where the user can write the store at all — the
refusal is in the audit log. Needs root (to add users); skipped otherwise."""

from __future__ import annotations

import grp
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from partyreg_cli.main import run

#: The interpreter other users run: the venv's own may live under root's home, which they
#: cannot enter; the system's python of the same version loads the venv's packages.
SYSTEM_PYTHON = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
BOOT = (
    "import site, sys; site.addsitedir(sys.argv.pop(1)); "
    "from partyreg_cli.main import run; sys.exit(run(sys.argv[1:]))"
)


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root to create OS users (useradd) and run as them (runuser)"
    for tool in ("useradd", "userdel", "groupadd", "groupdel", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if not SYSTEM_PYTHON.exists():
        return f"{SYSTEM_PYTHON} (for the other users) is not installed"
    return None


pytestmark = pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")


@attrs.frozen
class Server:
    folder: Path
    db: Path
    group: str
    zhang: str  # a district operator in the group
    outsider: str  # a shell account outside the group, no operator

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def run_as(
        self, user: str, *args: str, env: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        site = sysconfig.get_paths()["purelib"]
        command = ["runuser", "-u", user, "--", "env", "PYTHONDONTWRITEBYTECODE=1", "HOME=/tmp",
                   *(f"{k}={v}" for k, v in (env or {}).items()),
                   str(SYSTEM_PYTHON), "-c", BOOT, site, "--db", self.url, *args]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, cwd=self.folder, timeout=120, check=False
        )
        return done.returncode, done.stdout, done.stderr

    def audit(self) -> list[dict[str, object]]:
        with sqlite3.connect(self.db) as conn:
            conn.row_factory = sqlite3.Row
            return [dict(r) for r in conn.execute("SELECT * FROM audit_log ORDER BY id")]


def _sh(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    tag = uuid.uuid4().hex[:6]
    group, zhang, outsider = f"prg{tag}", f"zhang{tag}", f"out{tag}"
    base = Path(tempfile.mkdtemp(prefix="partyreg-shared-", dir="/tmp"))
    base.chmod(0o755)
    folder = base / "srv"
    folder.mkdir()
    _sh("groupadd", group)
    try:
        _sh("useradd", "-M", "-N", "-g", "nogroup", "-G", group, "-s", "/usr/sbin/nologin", zhang)
        _sh("useradd", "-M", "-N", "-g", "nogroup", "-s", "/usr/sbin/nologin", outsider)
        db = folder / "city.db"
        assert run(["--db", f"sqlite:///{db}", "init", "--group", group]) == 0
        assert run(["--db", f"sqlite:///{db}", "operator", "add", zhang, "--role", "district",
                    "--scope", "008.003"]) == 0  # fmt: skip
        yield Server(folder, db, group, zhang, outsider)
    finally:
        for user in (zhang, outsider):
            subprocess.run(["userdel", user], capture_output=True, check=False)
        subprocess.run(["groupdel", group], capture_output=True, check=False)
        shutil.rmtree(base, ignore_errors=True)


def _one_chinese_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0]), err
    return lines[0]


def test_init_group_gives_the_store_to_the_group_and_nobody_else(server: Server) -> None:
    gid = grp.getgrnam(server.group).gr_gid
    folder = os.stat(server.folder)
    assert folder.st_gid == gid and stat.S_IMODE(folder.st_mode) == 0o2770
    for path in [server.db, *server.folder.glob("city.db-*")]:
        info = os.stat(path)
        assert info.st_gid == gid and stat.S_IMODE(info.st_mode) == 0o660, path


def test_user_and_logname_do_not_make_a_district_operator_the_city(server: Server) -> None:
    code, _, err = server.run_as(
        server.zhang, "operator", "add", "evil", "--role", "city",
        env={"USER": "root", "LOGNAME": "root"},
    )  # fmt: skip
    assert code == 2
    _one_chinese_line(err)
    entries = server.audit()
    assert not [
        e for e in entries if e["subject"] == "operator:evil" and e["action"] == "operator.add"
    ]
    [refused] = [e for e in entries if e["action"].startswith("denied.")  # type: ignore[union-attr]
                 and "operator add evil" in str(e["after"])]  # fmt: skip
    assert refused["actor"] == server.zhang and refused["os_user"] == server.zhang


@pytest.mark.parametrize("how", ["env", "option"])
def test_partyreg_operator_and_as_are_refused_for_a_district_operator(
    server: Server, how: str
) -> None:
    before = len(server.audit())
    if how == "env":
        code, _, err = server.run_as(server.zhang, "members", "list",
                                     env={"PARTYREG_OPERATOR": "root"})  # fmt: skip
    else:
        code, _, err = server.run_as(server.zhang, "--as", "root", "members", "list")
    assert code == 2 and "只有市级操作员" in _one_chinese_line(err)
    [entry] = server.audit()[before:]
    assert (entry["actor"], entry["action"]) == (server.zhang, "denied.operator.as_denied")
    assert json.loads(str(entry["after"]))["as"] == "root"


def test_the_group_members_journals_stay_the_groups(server: Server) -> None:
    code, _, err = server.run_as(server.zhang, "members", "list", "--json")
    assert code == 0, err
    gid = grp.getgrnam(server.group).gr_gid
    for path in [server.db, *server.folder.glob("city.db-*")]:
        info = os.stat(path)
        assert info.st_gid == gid and not info.st_mode & 0o007, path


def test_a_shell_account_outside_the_group_gets_nothing(server: Server) -> None:
    code, out, err = server.run_as(server.outsider, "members", "list", "--json")
    assert code == 2 and out.strip().startswith("{")
    assert "权限" in _one_chinese_line(err)
    # plain SQL: the file cannot even be opened
    probe = (
        "import sqlite3, sys\n"
        "try:\n    sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM members')\n"
        "except sqlite3.Error as e:\n    print('refused', e)\n"
    )
    done = subprocess.run(
        ["runuser", "-u", server.outsider, "--", str(SYSTEM_PYTHON), "-c", probe, str(server.db)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.stdout.startswith("refused"), done


def test_doctor_reports_the_modes_and_warns_when_others_can_read(
    server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--db", server.url, "doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["warnings"] == []
    store = next(f for f in report["files"] if f["path"] == str(server.db))
    assert (store["mode"], store["group"]) == ("0660", server.group)
    server.db.chmod(0o664)
    try:
        assert run(["--db", server.url, "doctor", "--json"]) == 0
        report = json.loads(capsys.readouterr().out)
        assert [w["code"] for w in report["warnings"]] == ["store.others_access"]
    finally:
        server.db.chmod(0o660)
