"""``partyreg serve`` as operators run it (a subprocess), and ``members invite``'s output."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.cli.test_years import Runner
from tests.web.conftest import free_port

PARTYREG = [sys.executable, "-m", "partyreg_cli"]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_serve_answers_healthz_and_logs_no_token(run: Runner, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [
            *PARTYREG,
            "--db",
            run.db,
            "serve",
            "--port",
            str(port),
            "--public-url",
            "https://dangyuan.example.cn/",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):  # up when it answers (bounded; not a timing assertion)
            try:
                status, text = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
        else:
            raise AssertionError("partyreg serve did not answer")
        assert (status, text) == (200, "ok")
        url = run.json("members", "invite", "王建伟")["url"]
        assert url.startswith("https://dangyuan.example.cn/s/")
        token = url.rsplit("/", 1)[1]
        assert _get(f"http://127.0.0.1:{port}/s/{token}")[0] == 200
        assert _get(f"http://127.0.0.1:{port}/api/me")[0] == 401
    finally:
        server.terminate()
        server.wait(timeout=20)
    logged = (tmp_path / "serve.log").read_text()
    assert "GET /healthz 200" in logged and "GET /s/… 200" in logged
    assert token not in logged and "Traceback" not in logged


def test_serve_refuses_a_bad_public_url_in_one_line(run: Runner) -> None:
    result = run("serve", "--public-url", "ftp://x")
    assert result.exception is not None and result.exception.code == "signin.base_url"


def test_invite_prints_the_link_and_says_how_to_hand_it_over(run: Runner) -> None:
    out = run.ok("members", "invite", "李娜", "--hours", "2")
    assert "/s/" in out and "只能用一次" in out and "没有可发给党员的通道" in out
    made = run.json("members", "invite", "李娜", "--no-send")
    assert set(made) == {"member_id", "url", "expires_at", "queued"} and made["queued"] == 0
