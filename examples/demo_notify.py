"""Demo steps for notifications: channels for a district and a unit, reminders written to the
outbox while the channel is down, delivered by ``notify flush`` once it is back.

A small HTTP server in a thread on 127.0.0.1 (a random port) stands for the district's and the
unit's webhook receivers; what it received is printed at the end. Nothing leaves this machine.

The reminders are ``partyreg progress remind``'s: one per lagging unit and district; only the
two with a channel get a message, the others are kept as skipped (no channel).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from partyreg_core.workspace import LOCAL_ZONE, Workspace

DISTRICT = "008.003"  # 淮安区委
UNIT = "008.010.001"  # 市民政局机关党委


class Receiver(ThreadingHTTPServer):
    """Records the JSON bodies posted to it."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.received: list[tuple[str, dict[str, Any]]] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.received.append((self.path, json.loads(body.decode("utf-8"))))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serving(port: int = 0) -> Iterator[Receiver]:
    """A receiver running in a thread until the block ends."""
    server = Receiver(port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def run(demo: Any) -> None:
    """The notification steps of ``make demo``."""
    demo.step("通知：为县区和单位配置渠道；渠道不通时消息留在发送队列，恢复后补发")
    with serving() as receiver:
        port = receiver.server_address[1]
        base = f"http://127.0.0.1:{port}"
        demo.cli("notify", "channel", "add", f"org:{DISTRICT}", "--type", "webhook",
                 "--name", "huaian-district", "--set", f"url={base}/huaian")  # fmt: skip
        demo.cli("notify", "channel", "add", f"org:{UNIT}", "--type", "webhook",
                 "--name", "minzheng-unit", "--set", f"url={base}/minzheng",
                 "--set", "extra.source=partyreg-demo")  # fmt: skip
        demo.cli("notify", "channel", "list")
    print("  （接收方暂时停机：下面的提醒先写入发送队列）")
    demo.step("催办提醒：报到截止日期（9月20日）前 3 天，每个落后的单位和县区一条提醒")
    demo.cli("progress", "remind", "--yes", "--days", "3", "--on", "2014-09-17", "--year", "2014")
    demo.cli("notify", "list", "--status", "pending")
    with serving(port) as receiver:
        later = (Workspace(demo.db).now() + timedelta(minutes=2)).astimezone(LOCAL_ZONE)
        print("  （接收方恢复；演示中用 --now 代替等待重试时间）")
        demo.cli("notify", "flush", "--yes", "--now", f"{later:%Y-%m-%d %H:%M}")
        demo.cli("notify", "flush", "--yes", "--now", f"{later:%Y-%m-%d %H:%M}")  # nothing twice
        demo.cli("notify", "list", "--status", "sent")
        print(f"  本机接收方收到 {len(receiver.received)} 条：")
        for path, body in receiver.received:
            print(f"  {path}  {body['subject']}")
            print(f"    {body['body']}")
    if len(receiver.received) != 2:
        raise SystemExit(f"demo: expected 2 notifications, got {len(receiver.received)}")
