"""``partyreg certificate`` and ``partyreg verify`` end to end: the PDF (A4, the CJK font
embedded, its text, a QR code), the serial and check code, the same document when printed
again, a new revision superseding the old after a change, and revocation (decision 0127)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_events import people
from tests.cli.test_export import route_everyone
from tests.cli.test_import import Cli, registered


@pytest.fixture
def cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Cli:
    c = registered(tmp_path, capsys)
    route_everyone(c)
    return c


needs_poppler = pytest.mark.skipif(
    shutil.which("pdffonts") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdffonts, pdftotext) is not installed",
)


def issue(cli: Cli, member: int, name: str = "报到证.pdf", *extra: str) -> tuple[Path, Any]:
    target = cli.tmp / name
    code, out = cli.json("certificate", str(member), "-o", str(target), *extra)
    assert code == 0, out
    return target, out


@needs_poppler
def test_the_certificate_is_an_a4_pdf_with_the_font_embedded_and_what_it_says(
    cli: Cli,
) -> None:
    wang = people(cli)["王建伟"]["id"]
    target, out = issue(cli, wang)
    assert out["serial"].startswith("BD") and len(out["check_code"]) == 9
    fonts = subprocess.run(["pdffonts", str(target)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows), fonts.stdout  # emb = yes
    assert any("CJK" in r for r in rows)
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    for words in ("在职党员到社区报到证", "在职党员到社区报到回执", "淮安区淮城街道河下社区党组织",
                  "王建伟", "淮安市市级机关工委", out["serial"], out["check_code"], "（盖章）"):  # fmt: skip
        assert words in text, words
    assert "13912345678" not in text  # the member's phone is not on the certificate
    # a unit named as a party body is not given a second 党组织
    assert "淮安市市级机关工委（盖章）" in text and "工委党组织" not in text
    info = subprocess.run(["pdfinfo", str(target)], capture_output=True, text=True, check=True)
    assert "pts (A4)" in info.stdout


def test_verify_says_what_it_certifies_and_refuses_a_wrong_code(cli: Cli) -> None:
    wang = people(cli)["王建伟"]["id"]
    _target, out = issue(cli, wang)
    code, shown, _err = cli("verify", out["serial"], out["check_code"].lower().replace("-", " "))
    assert code == 0 and "核验通过" in shown and "王建伟" in shown and "河下社区" in shown
    wrong = out["check_code"][:-1] + ("2" if out["check_code"][-1] != "2" else "3")
    code, shown, _err = cli("verify", out["serial"], wrong)
    assert code == 1 and "核验未通过" in shown


def test_printing_again_is_the_same_a_change_supersedes_and_revoke_says_so(cli: Cli) -> None:
    wang = people(cli)["王建伟"]["id"]
    _t, first = issue(cli, wang)
    _t, again = issue(cli, wang, "again.pdf")
    assert (again["serial"], again["check_code"]) == (first["serial"], first["check_code"])
    assert cli.json("members", "edit", str(wang), "--posts", "5")[0] == 0
    _t, second = issue(cli, wang, "second.pdf")
    assert second["serial"] != first["serial"] and second["serial"].endswith("-2")
    code, old = cli.json("verify", first["serial"], first["check_code"])
    assert code == 1 and old["genuine"] is True and old["status"] == "superseded"
    code, shown, _err = cli("verify", first["serial"], first["check_code"])
    assert code == 1 and second["serial"] in shown and "取代" in shown
    code, out = cli.json("certificate", str(wang), "--revoke")
    assert code == 2 and out["error"]["code"] == "certificate.reason"
    code, out = cli.json("certificate", str(wang), "--revoke", "--reason", "调离本市")
    assert code == 0 and out["status"] == "revoked"
    code, shown, _err = cli("verify", second["serial"], second["check_code"])
    assert code == 1 and "作废" in shown and "调离本市" in shown


def test_a_member_not_routed_gets_no_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = registered(tmp_path, capsys)
    member = c.json("members", "list")[1][0]["id"]
    code, out = c.json("certificate", str(member), "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and out["error"]["code"] == "certificate.not_routed"
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    ("unit", "addressed"),
    [
        ("清河区委办党支部", "清河区委办党支部"),
        ("淮安市市级机关工委", "淮安市市级机关工委"),
        ("市民政局机关党委", "市民政局机关党委"),
        ("市交通局党总支", "市交通局党总支"),
        ("市民政局", "市民政局党组织"),
    ],
)
def test_the_unit_is_addressed_as_its_party_body(unit: str, addressed: str) -> None:
    from partyreg_plugins.exports_certificate import party_body

    assert party_body(unit) == addressed
