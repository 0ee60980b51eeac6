"""`make demo` keeps working: the demo runs end to end on a fresh SQLite store."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_runs_the_flow_and_its_export_reimports(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "demo.py"), "--out", str(out),
         "--members-per-unit", "10"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "demo: 完成" in proc.stdout
    # the members' site: a sign-in link for one member and how to start the site
    assert "http://127.0.0.1:8000/s/" in proc.stdout and " serve --port 8000" in proc.stdout
    assert "共 10 行：合格 10，有错误 0；新增 0，变更 0，无变化 10。" in proc.stdout
    # the residents' loop: a wish done, rated, recorded, counted; points; the day's nudges
    assert "居民评价“满意”；现在：已评价" in proc.stdout
    assert "已把心愿 1 记为活动" in proc.stdout and "满意率" in proc.stdout
    assert "2014 年积分，截至 2014-10-11：7 分" in proc.stdout
    assert "的个人提醒（按 09:00 计划）" in proc.stdout and "久未服务提醒" in proc.stdout
    form1 = out / "导出" / "附表1-市民政局机关党委.xlsx"
    ws = openpyxl.load_workbook(form1).active
    assert ws["A2"].value == "单位：市民政局机关党委"
    assert (out / "partyreg.db").exists()


@pytest.mark.postgres
def test_the_demo_runs_on_postgresql_with_each_operator_logged_in_as_itself(
    tmp_path: Path,
) -> None:
    from tests.plugins.storage import support

    reason = support.pg_unreachable()
    if reason is not None:
        pytest.skip(reason)
    sys.path.insert(0, str(ROOT / "examples"))
    import demo_pg

    database = f"partyreg_demo_{uuid.uuid4().hex[:8]}"
    try:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "examples" / "demo.py"), "--out", str(tmp_path / "demo"),
             "--members-per-unit", "10", "--pg", support.PG_URL, "--pg-database", database],
            capture_output=True, text=True, check=False, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert "Traceback" not in proc.stdout + proc.stderr and "demo: 完成" in proc.stdout
        assert "（minzheng_dw 的数据库用户登录）" in proc.stdout
        assert "（管理员登录）" in proc.stdout
        assert "/s/" in proc.stdout  # the sign-in link, made under the city's own login
    finally:
        demo_pg.remove(support.PG_URL, database)
