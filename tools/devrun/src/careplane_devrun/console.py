"""The runner's output: every line labelled with the piece it comes from, coloured on a
terminal; library logs of the runner itself (Alembic, the seed) shown the same way."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
from collections.abc import Iterator
from typing import TextIO

from careplane_devrun.topology import PIECES, Piece

RUNNER = "careplane"

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")


class Console:
    """Every line goes through here: ``name | text``, the name coloured on a terminal.

    Only the event loop thread writes, so lines never interleave mid-way.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self.color = _wants_color(self.stream)
        self.width = max(len(RUNNER), *(len(piece.name) for piece in PIECES))
        self._broken = False

    def _paint(self, text: str, sgr: str) -> str:
        return f"\x1b[{sgr}m{text}\x1b[0m" if self.color else text

    def write(self, text: str = "") -> None:
        if self._broken:
            return
        try:
            self.stream.write(text + "\n")
            self.stream.flush()
        except (BrokenPipeError, ValueError):
            # The reader went away (`make run | head`); keep running, stop writing.
            self._broken = True

    def line(self, name: str, text: str, sgr: str) -> None:
        if not self.color:
            text = _ANSI.sub("", text)
        self.write(f"{self._paint(name.ljust(self.width), sgr)} | {text}")

    def child(self, piece: Piece, text: str) -> None:
        self.line(piece.name, text, piece.color)

    def say(self, text: str) -> None:
        self.line(RUNNER, text, "1;34")

    def warn(self, text: str) -> None:
        self.line(RUNNER, self._paint(text, "33"), "1;34")

    def error(self, text: str) -> None:
        self.line(RUNNER, self._paint(f"error: {text}", "1;31"), "1;34")

    def heading(self, text: str) -> str:
        return self._paint(text, "1")


def _wants_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class _ConsoleLogHandler(logging.Handler):
    """Library logs of this process (Alembic, the seed) as runner lines, labelled with the
    service being worked on."""

    _NOISE = ("Context impl ", "Will assume ", "setting up autogenerate plugin ")

    def __init__(self, console: Console) -> None:
        super().__init__()
        self.console = console
        self.label = ""

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith(self._NOISE):
            return
        text = f"{self.label or record.name}: {message.strip()}"
        if record.levelno >= logging.WARNING:
            self.console.warn(text)
        else:
            self.console.say(text)


_log_handler: _ConsoleLogHandler | None = None


def configure_logging(console: Console) -> None:
    global _log_handler
    _log_handler = _ConsoleLogHandler(console)
    root = logging.getLogger()
    root.handlers[:] = [_log_handler]
    root.setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.INFO)


@contextlib.contextmanager
def log_label(label: str) -> Iterator[None]:
    """Library log lines written meanwhile are labelled with ``label`` (a service)."""
    if _log_handler is None:
        yield
        return
    _log_handler.label = label
    try:
        yield
    finally:
        _log_handler.label = ""
