"""Real servers on 127.0.0.1 for the notifier tests: SMTP (aiosmtpd), HTTP(S), a closed port and
a port that accepts connections but never answers. Nothing here reaches past this machine."""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

# ---------------------------------------------------------------------------------------------
# TLS: a throw-away CA and a certificate for 127.0.0.1
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class Tls:
    """A server context with a certificate for 127.0.0.1, and the CA file a client trusts."""

    server_context: ssl.SSLContext
    ca_file: Path


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    trustme = pytest.importorskip(
        "trustme", reason="trustme (dev extra) generates the test certificates"
    )
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(context, ca_file)


# ---------------------------------------------------------------------------------------------
# Ports that fail
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 with nothing listening: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) but never says anything."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------


@attrs.frozen
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8"))


class RecordingServer(ThreadingHTTPServer):
    """Records every request and answers from a queue (default: 200 with errcode 0)."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        if context is not None:
            self.socket = context.wrap_socket(self.socket, server_side=True)
        self.scheme = "https" if context else "http"
        self.requests: list[Request] = []
        self.answers: deque[tuple[int, dict[str, str], bytes]] = deque()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.server_address[1]}"

    def answer(
        self, status: int = 200, body: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        """Queue the next answer; ``body`` may be bytes, or anything JSON can encode."""
        if body is None:
            body = {"errcode": 0, "errmsg": "ok"}
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, headers or {"Content-Type": "application/json"}, raw))


class _Handler(BaseHTTPRequestHandler):
    server: RecordingServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append(Request("POST", self.path, dict(self.headers.items()), body))
        if self.server.answers:
            status, headers, raw = self.server.answers.popleft()
        else:
            status, headers, raw = 200, {"Content-Type": "application/json"}, b'{"errcode":0}'
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(server: RecordingServer) -> Iterator[RecordingServer]:
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def http_server() -> Iterator[RecordingServer]:
    """An HTTP server on an ephemeral port of 127.0.0.1."""
    yield from _serve(RecordingServer())


@pytest.fixture
def https_server(tls: Tls) -> Iterator[RecordingServer]:
    """The same over HTTPS, with a certificate from the test CA."""
    yield from _serve(RecordingServer(tls.server_context))


# ---------------------------------------------------------------------------------------------
# SMTP
# ---------------------------------------------------------------------------------------------

USER = "notify@example.gov.cn"
PASSWORD = "s3cret-Auth-Code"


class Inbox:
    """An aiosmtpd handler: keeps each accepted envelope; refuses recipients by local part
    (``busy…`` with 450, ``nobody…`` with 550)."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.logins: list[str] = []

    async def handle_RCPT(
        self,
        server: object,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.startswith("busy"):
            return "450 4.2.1 mailbox busy, try later"
        if address.startswith("nobody"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: object, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK queued"

    def authenticate(
        self, server: object, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == USER
            and data.password.decode() == PASSWORD
        )
        if ok:
            self.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


class _Controller(Controller):
    """aiosmtpd's controller on an ephemeral port (it insists on knowing the port up front)."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@attrs.define
class SmtpServer:
    """A running SMTP server and what it received."""

    port: int
    inbox: Inbox


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A factory: ``smtp_server(mode="plain"|"starttls"|"tls", auth=False)`` starts one."""
    controllers: list[Controller] = []

    def start(mode: str = "plain", *, auth: bool = False, tls: Tls | None = None) -> SmtpServer:
        inbox = Inbox()
        kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": 0, "ready_timeout": 5}
        if auth:
            kwargs.update(authenticator=inbox.authenticate, auth_require_tls=mode != "plain")
        if mode == "starttls":
            assert tls is not None
            kwargs.update(tls_context=tls.server_context, require_starttls=True)
        elif mode == "tls":
            assert tls is not None
            kwargs.update(ssl_context=tls.server_context)
        controller = _Controller(inbox, **kwargs)
        controller.start()
        controllers.append(controller)
        return SmtpServer(controller.port, inbox)

    try:
        yield start
    finally:
        for controller in controllers:
            controller.stop()
