"""The JSON the converter writes for members and operators keeps its keys, in order, byte for
byte where scripts read it (DESIGN.md §5; the keys of a member come from 附表1's field table)."""

from __future__ import annotations

import getpass
import json

import pytest

from tests.cli.test_cli_storage import _setup, call, db  # noqa: F401 - the fixture
from tests.core.test_member_fields import MEMBER_JSON_KEYS

OPERATOR_JSON_KEYS = [
    "name", "role", "scope_code", "communities", "disabled", "db_role", "created_by",
]  # fmt: skip


def test_members_list_and_show_json_keep_their_keys(
    capsys: pytest.CaptureFixture[str],
    db: str,  # noqa: F811
) -> None:
    _setup(capsys, db)
    code, out, _ = call(capsys, "--db", db, "--as", "minzheng", "members", "list", "--json")
    assert code == 0
    [member] = json.loads(out)
    assert list(member) == MEMBER_JSON_KEYS
    code, shown, _ = call(capsys, "--db", db, "--as", "minzheng", "members", "show", "1", "--json")
    assert code == 0 and json.loads(shown) == member
    # the bytes scripts read: Chinese as it is, keys in the form's order
    assert '"name": "张三"' in shown and '"specialty": "医生"' in shown
    assert shown.index('"address"') < shown.index('"community"') < shown.index('"community_name"')
    assert member["report_type"] == "居住地" and member["left_on"] is None


def test_members_add_edit_and_remove_json_is_the_members(
    capsys: pytest.CaptureFixture[str],
    db: str,  # noqa: F811
) -> None:
    _setup(capsys, db)
    code, out, err = call(
        capsys, "--db", db, "--as", "minzheng", "members", "edit", "1", "--specialty", "摄影",
        "--json",
    )  # fmt: skip
    assert code == 0, err
    edited = json.loads(out)
    assert list(edited) == MEMBER_JSON_KEYS and edited["specialty"] == "摄影"


def test_operator_json_keeps_its_keys(
    capsys: pytest.CaptureFixture[str],
    db: str,  # noqa: F811
) -> None:
    _setup(capsys, db)
    code, out, _ = call(capsys, "--db", db, "operator", "list", "--json")
    assert code == 0
    found = {o["name"]: o for o in json.loads(out)}
    assert all(list(o) == OPERATOR_JSON_KEYS for o in found.values())
    assert found["qinghe"]["role"] == "district" and found["qinghe"]["scope_code"] == "008.001"
    assert found["qinghe"]["communities"] == [] and found["qinghe"]["disabled"] is False
    assert found[getpass.getuser()]["role"] == "city"
