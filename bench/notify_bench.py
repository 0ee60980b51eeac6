"""Notifications: what the outbox costs, and how much a dead channel can slow a command.

``python -m bench notify [-- --messages N]`` on a fresh SQLite store with one district:

1. *enqueue*: N ``progress.remind`` events through ``Workspace._changed`` (the listener builds
   each message and writes it to the outbox), immediate delivery off;
2. *flush*: those N messages delivered by ``deliver_notifications`` to a webhook receiver on
   127.0.0.1, side by side with the same N requests sent by the bare webhook channel in a loop
   (what sending costs without the outbox);
3. *dead channel*: 200 events whose channel accepts connections but never answers, with
   immediate delivery on (defaults: 2 s timeout, 3 s budget): the time the command spends on
   top of (1)'s per-event cost.

Results go to the ``notify`` section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import write_section
from partyreg_core import builtin
from partyreg_core.notify.model import NotifyConfig, OutboxStatus
from partyreg_core.ports import Message
from partyreg_core.workspace import Workspace
from partyreg_plugins.notifiers import WebhookNotifier
from partyreg_plugins.sqlstore.store import SqlStore

NOW = datetime(2024, 8, 27, 1, 0, tzinfo=UTC)
USER = "bench"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.count += 1  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _receiver() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.count = 0  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _remind(ws: Workspace, code: str, n: int) -> None:
    ws._changed(
        "progress.remind",
        f"org:{code}",
        None,
        {
            "code": code,
            "name": "测试单位",
            "deadline": "registration",
            "deadline_label": "登记上报",
            "due": "2024-08-30",
            "days_left": 3,
            "expected": 40,
            "registered": n,
            "routed": 0,
            "reported_in": 0,
        },
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args(argv)
    n: int = args.messages
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        store = SqlStore(url)
        store.initialise(os_user=USER, org_tree=builtin.code_table(), posts=builtin.city_posts())
        store.close()
        receiver = _receiver()
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
        ws = Workspace(url, os_user=USER, clock=lambda: NOW)
        ws.notify.config = NotifyConfig(deliver_immediately=False)
        ws.notify.add_channel("org:008.001", "webhook", {"url": hook}, name="bench")

        started = time.perf_counter()
        for i in range(n):  # the same reminder again and again on one day: kept once
            _remind(ws, "008.001", i)
        enqueue_same = time.perf_counter() - started
        assert len(ws.notify.messages()) == 1, "one reminder per unit per day (decision 0032)"

        started = time.perf_counter()
        for i in range(n):
            ws._changed(
                "needs.published",
                "community:0",
                None,
                {
                    "community_id": 10**6,  # no such community: a skipped message each
                    "community": "测试社区",
                    "year": 2024,
                    "needs": [{"post_code": "1", "post": "岗位", "people": i, "purpose": ""}],
                },
            )
        enqueue_skipped = time.perf_counter() - started

        # n reminders that each go out: distinct deadlines
        started = time.perf_counter()
        for i in range(n):
            due = (NOW + timedelta(days=3 + i)).date().isoformat()
            ws._changed(
                "progress.remind",
                "org:008.001",
                None,
                {
                    "code": "008.001",
                    "name": "清河区委",
                    "deadline": "registration",
                    "deadline_label": "登记上报",
                    "due": due,
                    "days_left": 3 + i,
                    "expected": None,
                    "registered": i,
                    "routed": 0,
                    "reported_in": 0,
                },
            )
        enqueue = time.perf_counter() - started
        pending = ws.notify.counts()[OutboxStatus.PENDING]
        assert pending == n, pending

        # the same n events inside batched_notifications(): one outbox write for all
        started = time.perf_counter()
        with ws.notify.batched():
            for i in range(n):
                due = (NOW + timedelta(days=3 + n + i)).date().isoformat()
                ws._changed(
                    "progress.remind",
                    "org:008.001",
                    None,
                    {
                        "code": "008.001",
                        "name": "清河区委",
                        "deadline": "registration",
                        "deadline_label": "登记上报",
                        "due": due,
                        "days_left": 3 + n + i,
                        "expected": None,
                        "registered": i,
                        "routed": 0,
                        "reported_in": 0,
                    },
                )
        batched = time.perf_counter() - started
        assert ws.notify.counts()[OutboxStatus.PENDING] == 2 * n
        n2 = 2 * n

        started = time.perf_counter()
        report = ws.notify.deliver()
        flush = time.perf_counter() - started
        assert len(report.attempts) == n2 and receiver.count == n2  # type: ignore[attr-defined]

        bare = WebhookNotifier({"url": hook})
        started = time.perf_counter()
        for i in range(n2):
            bare.send(Message(f"【进度提醒】{i}", "正文"))
        bare_time = time.perf_counter() - started

        with socket.socket() as silent:
            silent.bind(("127.0.0.1", 0))
            silent.listen(256)
            dead = Workspace(url, os_user=USER, clock=lambda: NOW)
            dead.notify.config = NotifyConfig()
            dead.notify.add_channel(
                "org:008.002",
                "webhook",
                {"url": f"http://127.0.0.1:{silent.getsockname()[1]}/"},
                name="dead",
            )
            started = time.perf_counter()
            for i in range(200):
                due = (NOW + timedelta(days=3 + i)).date().isoformat()
                dead._changed(
                    "progress.remind",
                    "org:008.002",
                    None,
                    {
                        "code": "008.002",
                        "name": "清浦区委",
                        "deadline": "registration",
                        "deadline_label": "登记上报",
                        "due": due,
                        "days_left": 3 + i,
                        "expected": None,
                        "registered": i,
                        "routed": 0,
                        "reported_in": 0,
                    },
                )
            dead_time = time.perf_counter() - started
            trying = dead.notify._spent
            left = sum(1 for m in dead.notify.messages(OutboxStatus.PENDING) if m.channel == "dead")
        receiver.shutdown()
    per_event = enqueue / n
    body = f"""`python -m bench notify` (`bench/notify_bench.py`): SQLite, 2 cores shared with other
jobs, {datetime.now(UTC):%Y-%m-%d}, one run.

| measurement | total s | per message ms |
| --- | ---: | ---: |
| {n:,} events → outbox (listener builds the text, one row each, immediate delivery off) | {enqueue:.2f} | {1000 * per_event:.2f} |
| {n:,} events for a target without a channel (`skipped` rows) | {enqueue_skipped:.2f} | {1000 * enqueue_skipped / n:.2f} |
| {n:,} times the same reminder on the same day (kept once: idempotency key) | {enqueue_same:.2f} | {1000 * enqueue_same / n:.2f} |
| {n:,} events inside `batched_notifications()` (one outbox write for all) | {batched:.2f} | {1000 * batched / n:.2f} |
| `notify flush` of {n2:,} messages to a webhook on 127.0.0.1 (claim, send, record each) | {flush:.2f} | {1000 * flush / n2:.2f} |
| the same {n2:,} requests by the bare webhook channel | {bare_time:.2f} | {1000 * bare_time / n2:.2f} |
| 200 events, channel accepts but never answers, immediate delivery on (2 s timeout, 3 s budget) | {dead_time:.2f} | {1000 * dead_time / 200:.2f} |

One event costs one write transaction (on SQLite a commit, i.e. an fsync, dominates); code that
commits many changes in a loop wraps it in `batched_notifications()`. Flush costs
{flush / bare_time:.1f}× the bare sends (each message is claimed and its outcome
written in its own transaction, so a crash loses at most the message in flight). Of the
200 events' {dead_time:.1f} s, {trying:.1f} s went to trying the dead channel (one timeout; a channel
found down is not tried again by the same command, and the budget caps it); {left} of 200
messages stayed pending for `notify flush`.
"""
    write_section("notify", "Notifications: the outbox", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
