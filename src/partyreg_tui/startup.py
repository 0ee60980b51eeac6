"""The start-up check of ``partyreg tui``: can this terminal show Chinese? (DESIGN.md §8)

Operators reach the server with PuTTY, Xshell or Windows' ssh, often with default settings. If
the locale is not UTF-8, or the terminal is ``dumb``, or the terminal turns out to read the bytes
in another character set, the TUI would draw garbage; instead the command prints — in plain
ASCII, which every terminal shows — what is wrong and the one setting to change, and exits 2.

This module imports nothing from Textual: it runs before the app is loaded.
"""

from __future__ import annotations

import codecs
import os
import sys
import time
from collections.abc import Mapping

import attrs

#: A wide character and what it should advance the cursor by on a UTF-8 terminal.
PROBE_TEXT = "中文"
PROBE_CELLS = 4


@attrs.frozen
class TerminalProblem:
    """What is wrong, in ASCII, and the one thing to change."""

    what: str
    fix: str
    #: the same in one Chinese line, for a terminal that can show it (UTF-8 output)
    chinese: str = ""

    def text(self, encoding: str | None = None) -> str:
        """The message ``partyreg tui`` prints: one Chinese line where the output is UTF-8
        and the problem has one, else ASCII (one problem, one fix), which every terminal
        shows."""
        if self.chinese and _utf8(encoding):
            return f"partyreg: {self.chinese}\n"
        return (
            f"partyreg tui: {self.what}\n"
            f"  To fix: {self.fix}\n"
            "  Then run partyreg tui again. (The CLI commands work as before.)\n"
        )


def _utf8(encoding: str | None) -> bool:
    if not encoding:
        return False
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def locale_problem(env: Mapping[str, str], encoding: str | None) -> TerminalProblem | None:
    """A problem with the locale: ``encoding`` is the encoding Python writes to the terminal
    with (``sys.stdout.encoding``), ``env`` the environment (``LC_ALL``, ``LC_CTYPE``,
    ``LANG``, ``TERM``)."""
    term = env.get("TERM", "")
    if not term or term == "dumb":
        shown = term or "not set"
        return TerminalProblem(
            f"the terminal type (TERM) is {shown}, which cannot draw screens.",
            "export TERM=xterm-256color  (PuTTY: Connection > Data > Terminal-type string: "
            "xterm-256color)",
            f"终端类型（TERM）是 {term or '未设置'}，不能显示界面：请先运行 "
            "export TERM=xterm-256color（PuTTY：Connection > Data > Terminal-type string 填 "
            "xterm-256color），再运行 partyreg tui；命令行的各条命令不受影响。",
        )
    if not _utf8(encoding):
        name = next((env[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if env.get(k)), "not set")
        return TerminalProblem(
            f"the locale ({name}) does not use UTF-8, so Chinese would show as garbage "
            f"(output encoding: {encoding or 'unknown'}).",
            "export LANG=zh_CN.UTF-8  (or C.UTF-8; add it to ~/.bashrc to keep it)",
        )
    return None


def stream_problem() -> TerminalProblem | None:
    """The TUI reads keys from a terminal and draws on one: standard input and output must
    both be terminals (not a file, a pipe, ``</dev/null`` or closed)."""
    stdin, stdout = sys.stdin, sys.stdout
    for name, stream in (("input", stdin), ("output", stdout)):
        try:
            usable = stream is not None and not stream.closed and stream.isatty()
        except (OSError, ValueError):
            usable = False
        if not usable:
            where = "输入" if name == "input" else "输出"
            return TerminalProblem(
                f"standard {name} is not a terminal, so the screen cannot run.",
                "run partyreg tui in an SSH or terminal window, without < or > redirection",
                f"标准{where}不是终端（被重定向或已关闭），界面无法运行：请在 SSH 或终端窗口中"
                "直接运行 partyreg tui，不要用 < 或 > 重定向；脚本请用命令行的各条命令。",
            )
    return None


def probe_problem(advance: int | None) -> TerminalProblem | None:
    """A problem shown by the probe: ``advance`` is how many cells the terminal moved the cursor
    for :data:`PROBE_TEXT` (``None``: the terminal did not answer — nothing to conclude)."""
    if advance is None or advance == PROBE_CELLS:
        return None
    return TerminalProblem(
        "your terminal program does not read UTF-8, so Chinese would show as garbage "
        f"(a test text of {PROBE_CELLS} cells took {advance}).",
        "set the character set of your terminal program to UTF-8 - PuTTY: Window > "
        "Translation > Remote character set: UTF-8; Xshell: File > Properties > Terminal > "
        "Encoding: Unicode (UTF-8); Windows Terminal and ssh: chcp 65001",
    )


def measure_advance(timeout: float = 0.5) -> int | None:
    """Write :data:`PROBE_TEXT` and ask the terminal where the cursor went (``ESC [ 6 n``).

    A terminal reading UTF-8 moves 4 cells; one reading GBK or Latin-1 moves 3 or 6. Returns
    ``None`` when stdin/stdout is not a terminal or no answer came within ``timeout`` (slow
    lines, terminals that do not answer) — the probe never blocks the start for long.
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()) or os.name != "posix":
        return None
    import select
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd, termios.TCSANOW)
        out = sys.stdout.buffer
        out.write(b"\r\x1b[6n")
        out.flush()
        start = _read_position(fd, select, timeout)
        if start is None:
            return None
        out.write(PROBE_TEXT.encode("utf-8") + b"\x1b[6n")
        out.flush()
        end = _read_position(fd, select, timeout)
        out.write(b"\r\x1b[K")  # leave a clean line behind
        out.flush()
        if end is None or end[0] != start[0]:
            return None  # wrapped or no answer: nothing to conclude
        return end[1] - start[1]
    finally:
        termios.tcsetattr(fd, termios.TCSAFLUSH, saved)


def _read_position(fd: int, select_module: object, timeout: float) -> tuple[int, int] | None:
    """Read a cursor position report ``ESC [ row ; col R``."""
    select = select_module.select  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    answer = b""
    while time.monotonic() < deadline:
        ready, _, _ = select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 32)
        if not chunk:
            break
        answer += chunk
        if b"R" in answer:
            break
    start = answer.rfind(b"\x1b[")
    end = answer.find(b"R", start)
    if start < 0 or end < 0:
        return None
    try:
        row, col = answer[start + 2 : end].split(b";")
        return int(row), int(col)
    except ValueError:
        return None


def check_terminal(
    env: Mapping[str, str] | None = None,
    encoding: str | None = None,
    *,
    probe: bool = True,
    streams: bool = True,
) -> TerminalProblem | None:
    """The first problem with this terminal, or ``None`` when Chinese can be shown
    (``streams``: check that standard input and output are terminals)."""
    env = os.environ if env is None else env
    encoding = encoding if encoding is not None else getattr(sys.stdout, "encoding", None)
    problem = stream_problem() if streams else None
    if problem is None:
        problem = locale_problem(env, encoding)
    if problem is None and probe:
        problem = probe_problem(measure_advance())
    return problem
