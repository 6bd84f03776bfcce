"""Serving the application: waitress (pure Python, runs on Windows) on the host and port given.

``make_server`` binds at once (port 0 picks a free port), so a caller knows the address
before serving; ``Server.stop`` ends it from another thread.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from typing import Any

THREADS = 16  # requests served at once; PDF conversions may hold at most 6


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Server:
    def __init__(self, app: Any, host: str, port: int, threads: int = THREADS) -> None:
        from waitress.server import create_server

        self._server: Any = create_server(app, host=host, port=port, threads=threads,
                                          ident="docx-report", channel_timeout=120,
                                          clear_untrusted_proxy_headers=True)
        self.host = host
        self.port = int(self._server.effective_port)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        """Serve until ``stop`` (or Ctrl-C)."""
        with contextlib.suppress(OSError, ValueError):  # the socket closed by ``stop``
            self._server.run()

    def stop(self) -> None:
        self._server.task_dispatcher.shutdown(timeout=5)
        self._server.close()
        # Wake the loop so it sees the closed socket.
        with contextlib.suppress(OSError), socket.create_connection(
                ("127.0.0.1" if is_loopback(self.host) else self.host, self.port), timeout=1):
            pass


def make_server(app: Any, host: str = "127.0.0.1", port: int = 8000,
                threads: int = THREADS) -> Server:
    return Server(app, host, port, threads)
