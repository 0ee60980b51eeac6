"""The ``partyreg`` console script: as little as possible before the command line is guarded.

Importing the commands (click, the core, the plugins' names) takes a noticeable moment; a Ctrl-C
pressed during it must end like any other interrupt — one line, exit 130 — not in a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Console-script entry point."""
    try:
        from partyreg_cli.main import main as run_main
    except KeyboardInterrupt:
        sys.stderr.write("partyreg: 已中断：已回滚，未写入任何内容。\n")
        sys.exit(130)
    run_main()
