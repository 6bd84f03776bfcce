"""Serving the application: waitress (pure Python, runs on Windows) on the host and port given.

``make_server`` binds at once (port 0 picks a free port), so a caller knows the address
before serving; ``Server.stop`` ends it from another thread.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

from waitress import wasyncore

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
        self._running = threading.Event()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def run(self) -> None:
        """Serve until ``stop`` (or Ctrl-C)."""
        self._running.set()
        try:
            self._server.run()
        finally:
            self._server.task_dispatcher.shutdown(timeout=5)
            wasyncore.close_all(self._server._map, ignore_all=True)

    def stop(self) -> None:
        """Close every socket (the listener and open connections) in the serving thread, which
        then returns from ``run``."""
        if self._running.is_set():
            try:
                self._server.trigger.pull_trigger(
                    lambda: wasyncore.close_all(self._server._map, ignore_all=True))
                return
            except OSError:  # the wake-up pipe is gone: close from here, the loop ends anyway
                pass
        wasyncore.close_all(self._server._map, ignore_all=True)


def make_server(app: Any, host: str = "127.0.0.1", port: int = 8000,
                threads: int = THREADS) -> Server:
    return Server(app, host, port, threads)
