"""Free TCP ports on the loopback interface, for servers that tests and dev tools start."""

from __future__ import annotations

import socket


def free_port(preferred: int | None = None, host: str = "127.0.0.1") -> int:
    """The preferred port if nothing listens there, else any free one."""
    if preferred:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
