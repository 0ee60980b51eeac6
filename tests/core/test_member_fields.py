"""附表1's one field table (``partyreg_core.members.fields``): what is derived from it agrees
with the contracts (headers, JSON keys, labels), and a field added to it — in a copy of the
sources, touching the three files the architecture guide names — reaches the import, the JSON,
the command line, the terminal UI and the official form."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

import partyreg_core
from partyreg_core.converter import unstructure
from partyreg_core.errors import ValidationError
from partyreg_core.forms import REGISTRATION_FORM, match_key
from partyreg_core.members.fields import (
    FIELD_KEYS,
    MEMBER_FIELDS,
    REGISTRATION_FIELDS,
    labels,
    member_json,
    normalise_cell,
    official_fields,
    registration_cells,
)
from partyreg_core.members.model import Member, MemberStatus
from partyreg_core.normalize import normalize_phone
from partyreg_core.orgcodes import parse_code
from partyreg_core.records import CommunityRef, Gender, ReportType

#: DESIGN.md §5: ``members list --json`` — every field of 附表1 and the status; these keys and
#: their order are what scripts read.
MEMBER_JSON_KEYS = [
    "id", "unit_code", "name", "gender", "unit_and_title", "specialty", "posts", "phone",
    "address", "community", "community_name", "street", "district", "report_type", "rank",
    "status", "community_id", "district_code", "registered_on", "routed_on", "reported_on",
    "batch_id", "retired_on", "left_on", "left_reason",
]  # fmt: skip

MEMBER = Member(
    id=7,
    unit_code=parse_code("008.010.001"),
    name="张三",
    gender=Gender.MALE,
    unit_and_title="市民政局 科员",
    posts=("3", "8"),
    phone="13912345678",
    community=CommunityRef("淮安区", "河下街道", "河下社区"),
    specialty="书法",
    address="河下古镇1号",
    report_type=ReportType.WORKPLACE,
    status=MemberStatus.ROUTED,
    community_id=12,
    district_code=parse_code("008.001"),
    registered_on=date(2024, 3, 1),
    routed_on=date(2024, 3, 5),
)


def test_member_json_keeps_the_contracts_keys_and_values() -> None:
    data = unstructure(MEMBER)
    assert list(data) == MEMBER_JSON_KEYS
    assert data == member_json(MEMBER)
    assert data["unit_code"] == "008.010.001"
    assert data["posts"] == ["3", "8"]
    assert data["community"] == "淮安区/河下街道/河下社区"
    assert data["community_name"] == "河下社区"
    assert data["gender"] == "男" and data["report_type"] == "工作地"
    assert data["district_code"] == "008.001" and data["registered_on"] == "2024-03-01"
    assert data["reported_on"] is None and data["left_reason"] is None
    json.dumps(data, ensure_ascii=False)  # JSON-ready as it is


def test_the_import_form_is_the_table() -> None:
    assert tuple(c.key for c in REGISTRATION_FORM.columns) == FIELD_KEYS
    lookup = REGISTRATION_FORM.lookup()
    for spec in MEMBER_FIELDS:
        for header in (spec.label, *spec.aliases):
            assert lookup[match_key(header)].key == spec.key
    # DESIGN.md §9's variants, and the 11 required headers
    assert lookup[match_key("手机号码")].key == "phone"
    assert lookup[match_key("街道（乡镇）")].key == "street"
    assert lookup[match_key("所属县区")].key == "district"
    assert lookup[match_key("报到社区名称")].key == "community"
    assert len(REGISTRATION_FORM.required) == 11


def test_derived_lists_follow_the_forms_order() -> None:
    assert REGISTRATION_FIELDS == (
        "unit_code", "name", "gender", "unit_and_title", "specialty", "posts", "phone",
        "address", "community", "report_type", "rank",
    )  # fmt: skip
    assert [f.header for f in official_fields()] == [
        "单位代码", "姓 名", "性别", "单位及职务", "特长", "认领岗位", "联系方式", "常住住址",
        "报到\n社区", "社区所属街道、乡镇", "所属",
    ]  # fmt: skip
    assert [f.key for f in official_fields(extra=True)][-2:] == ["report_type", "rank"]
    assert labels()["district"] == "所属县区" and labels()["specialty"] == "特长"
    assert registration_cells(MEMBER) == {
        "unit_code": "008.010.001", "name": "张三", "gender": "男",
        "unit_and_title": "市民政局 科员", "specialty": "书法", "posts": "3、8",
        "phone": "13912345678", "address": "河下古镇1号", "community": "河下社区",
        "street": "河下街道", "district": "淮安区", "report_type": "工作地", "rank": "",
    }  # fmt: skip


@given(st.text(max_size=20))
def test_a_fields_normaliser_is_the_one_the_import_uses(text: str) -> None:
    try:
        expected: object = normalize_phone(text)
    except ValidationError as exc:
        expected = exc.code
    try:
        got = normalise_cell("phone", text)
    except ValidationError as exc:
        got = exc.code
    assert got == expected


# -- adding a field through the table, in a copy of the sources ------------------------------

NEW_FIELD = """\
    MemberField(
        "wechat", "微信号", lambda r: r.wechat, aliases=("微信",), header_required=False,
        value_required=False, normalise=_free_text, width=14, official=False,
        help="微信号。",
    ),
)  # fmt: skip
"""

CHECK = textwrap.dedent(
    """\
    import json
    from datetime import date

    from click.testing import CliRunner

    from partyreg_cli.main import cli
    from partyreg_core.converter import unstructure
    from partyreg_core.forms import REGISTRATION_FORM, DataRow, FormKind, match_key
    from partyreg_core.members.fields import registration_cells
    from partyreg_core.members.model import Member
    from partyreg_core.orgcodes import parse_code
    from partyreg_core.records import CommunityRef, Gender
    from partyreg_plugins import official_forms
    from partyreg_tui.screens.member import FIELD_LABELS

    member = Member(
        id=1, unit_code=parse_code("008.010.001"), name="张三", gender=Gender.MALE,
        unit_and_title="科员", posts=("3",), phone="13912345678",
        community=CommunityRef("淮安区", "河下街道", "河下社区"), wechat="zs_2024",
    )
    from partyreg_core.registrations import validate_registration
    from tests.core.test_registrations import GOOD
    from tests.strategies import world

    row = DataRow.of(FormKind.REGISTRATIONS, 3, {**GOOD, "wechat": "  zs_2024 "})
    judged = validate_registration(row, world().context()).record
    help_text = CliRunner().invoke(cli, ["members", "add", "--help"]).output
    print(json.dumps({
        "header": REGISTRATION_FORM.lookup()[match_key("微 信")].key,
        "json": list(unstructure(member))[-11:-10],
        "json_value": unstructure(member)["wechat"],
        "cells": registration_cells(member)["wechat"],
        "registration": member.registration.wechat,
        "imported": judged.wechat,
        "tui": [label for key, label in FIELD_LABELS if key == "wechat"],
        "cli": "--wechat" in help_text,
        "form1_optional": official_forms.FORM1_OPTIONAL,
    }, ensure_ascii=False))
    """
)


def _add_field(src: Path) -> None:
    """The worked example of docs/architecture.md: a row in fields.py, the attribute on
    Registration (records.py) and on Member (members/model.py, with its registration)."""
    fields = src / "partyreg_core" / "members" / "fields.py"
    text = fields.read_text(encoding="utf-8")
    end = ")  # fmt: skip\n\n#: The canonical keys"
    assert end in text
    text = text.replace(end, NEW_FIELD + "\n#: The canonical keys", 1)
    text = text.replace(
        "    @property\n    def rank(self) -> str: ...\n",
        "    @property\n    def rank(self) -> str: ...\n    @property\n    def wechat(self) -> str: ...\n",
        1,
    )
    fields.write_text(text, encoding="utf-8")
    records = src / "partyreg_core" / "records.py"
    text = records.read_text(encoding="utf-8")
    anchor = '    rank: str = ""\n\n    @property\n    def person_key'
    assert text.count(anchor) == 1
    records.write_text(
        text.replace(
            anchor, '    rank: str = ""\n    wechat: str = ""\n\n    @property\n    def person_key'
        ),
        encoding="utf-8",
    )
    model = src / "partyreg_core" / "members" / "model.py"
    text = model.read_text(encoding="utf-8")
    text = text.replace('    rank: str = ""\n', '    rank: str = ""\n    wechat: str = ""\n', 1)
    text = text.replace(
        "            rank=self.rank,\n",
        "            rank=self.rank,\n            wechat=self.wechat,\n",
        1,
    )
    model.write_text(text, encoding="utf-8")


def test_a_field_added_to_the_table_reaches_every_frontend(tmp_path: Path) -> None:
    root = Path(partyreg_core.__file__).parent.parent
    for package in ("partyreg_core", "partyreg_plugins", "partyreg_cli", "partyreg_tui"):
        shutil.copytree(
            root / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    _add_field(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=root.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {
        "header": "wechat",
        "json": ["wechat"],
        "json_value": "zs_2024",
        "cells": "zs_2024",
        "registration": "zs_2024",
        "imported": "zs_2024",
        "tui": ["微信号"],
        "cli": True,
        "form1_optional": ["报到类型", "职级", "微信号"],
    }
