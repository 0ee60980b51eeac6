"""Personal data leaving the store: exports and error workbooks are private files (0600
whatever the umask), never replace a file without ``--force``, never follow a symlink, never
replace the store, and are in the audit log."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.cli.test_import import BAD, FORM1_HEADER, GOOD, Cli, registered, write_xlsx


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    return registered(tmp_path, capsys)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def refused(cli: Cli, code: str, *args: str) -> str:
    status, _, err = cli(*args)
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "Traceback" not in err, err
    status, data = cli.json(*args)
    assert data["error"]["code"] == code
    return lines[0]


@pytest.mark.usefixtures("open_umask")
def test_an_export_is_private_whatever_the_umask(cli: Cli) -> None:
    target = cli.tmp / "form1.xlsx"
    assert cli("export", "form1", "-o", str(target))[0] == 0
    assert mode(target) == 0o600
    assert not list(cli.tmp.glob(".*partial*"))


def test_an_existing_file_is_kept_unless_forced(cli: Cli) -> None:
    target = cli.tmp / "form1.xlsx"
    target.write_bytes(b"an operator's own work")
    target.chmod(0o644)
    line = refused(cli, "output.exists", "export", "form1", "-o", str(target))
    assert "--force" in line
    assert target.read_bytes() == b"an operator's own work"
    assert cli("export", "form1", "-o", str(target), "--force")[0] == 0
    assert target.read_bytes().startswith(b"PK") and mode(target) == 0o600


def test_a_symlink_is_never_followed_even_with_force(cli: Cli) -> None:
    elsewhere = cli.tmp / "elsewhere.txt"
    elsewhere.write_text("not yours")
    link = cli.tmp / "form1.xlsx"
    link.symlink_to(elsewhere)
    for extra in ((), ("--force",)):
        refused(cli, "output.symlink", "export", "form1", "-o", str(link), *extra)
    assert elsewhere.read_text() == "not yours" and link.is_symlink()


def test_the_store_itself_is_never_an_export_target(cli: Cli) -> None:
    store = Path(cli.db.removeprefix("sqlite:///"))

    def content() -> list[str]:
        # the store's rows, not its bytes: SQLite rewrites its header (the change counter)
        # whenever a connection left open by an earlier command checkpoints its journal
        with closing(sqlite3.connect(store)) as db:
            return [line for line in db.iterdump() if "audit_log" not in line]

    before = content()
    spellings = [str(store), f"{cli.tmp}/./store.db", str(store) + "-wal"]
    os.link(store, cli.tmp / "hardlink.db")
    spellings.append(str(cli.tmp / "hardlink.db"))
    for spelling in spellings:
        line = refused(cli, "output.is_store", "export", "form1", "-o", spelling, "--force")
        assert "存储文件本身" in line
    assert store.read_bytes().startswith(b"SQLite format 3\x00")
    assert content() == before  # nothing written but the refusals in the audit log
    assert cli.json("members", "list")[0] == 0


def test_a_store_named_like_a_workbook_is_not_replaced_by_its_export(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    shop = Cli(tmp_path, capsys)
    shop.db = "sqlite:///x.xlsx"
    assert shop("init")[0] == 0
    refused(shop, "output.is_store", "export", "form1", "-o", "x.xlsx")
    assert shop.json("members", "list")[0] == 0


def test_the_audit_log_says_who_what_where_scope_masked_and_why(cli: Cli) -> None:
    target = cli.tmp / "masked.xlsx"
    args = ("export", "form1", "-o", str(target), "--mask", "--scope", "008.010")
    assert cli(*args, "--reason", "报送市委组织部")[0] == 0
    assert cli("export", "form1", "-o", str(cli.tmp / "default.xlsx"))[0] == 0
    assert (
        cli("export", "form1", "-o", str(cli.tmp / "full.xlsx"), "--full", "--reason", "核对")[0]
        == 0
    )
    code, entries = cli.json("audit", "--action", "export")
    assert code == 0
    masked, default, full = entries
    assert default["after"]["masked"] is True  # the city's 附表1 is masked unless --full
    assert masked["after"]["file"] == str(target) and masked["after"]["scope"] == "008.010"
    assert masked["after"]["masked"] is True and masked["after"]["reason"] == "报送市委组织部"
    assert full["after"]["masked"] is False and full["after"]["reason"] == "核对"
    assert full["after"]["scope"] == "市级"
    assert masked["actor"] == full["actor"] != ""


@pytest.mark.usefixtures("open_umask")
def test_the_error_workbook_is_private_and_kept_unless_forced(cli: Cli) -> None:
    sheet = write_xlsx(cli.tmp / "bad.xlsx", [FORM1_HEADER, *BAD])
    errors = cli.tmp / "待修改.xlsx"
    code, report = cli.json("import", str(sheet), "--dry-run", "--errors-out", str(errors))
    assert code == 1 and report["errors_out"] == str(errors)
    assert mode(errors) == 0o600
    first = errors.read_bytes()
    # refused before anything is written: no batch
    batches = len(cli.json("audit", "--action", "import")[1])
    mixed = write_xlsx(cli.tmp / "mixed.xlsx", [FORM1_HEADER, *GOOD, *BAD])
    line = refused(cli, "output.exists", "import", str(mixed), "--skip-invalid",
                   "--errors-out", str(errors))  # fmt: skip
    assert "--force" in line and errors.read_bytes() == first
    assert len(cli.json("audit", "--action", "import")[1]) == batches
    code, _ = cli.json("import", str(mixed), "--skip-invalid", "--errors-out", str(errors),
                       "--force")  # fmt: skip
    assert code == 1 and mode(errors) == 0o600
    code, entries = cli.json("audit", "--action", "export.errors_out")
    assert [e["after"]["source"] for e in entries] == ["bad.xlsx", "mixed.xlsx"]


def test_init_into_an_existing_empty_file_gives_it_a_new_stores_mode(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "shared.db"
    empty.touch()
    empty.chmod(0o666)
    shop = Cli(tmp_path, capsys)
    shop.db = f"sqlite:///{empty}"
    assert shop("init")[0] == 0
    fresh = Cli(tmp_path, capsys)
    fresh.db = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert fresh("init")[0] == 0
    assert mode(empty) == mode(tmp_path / "fresh.db") == 0o640
