"""Helpers for the web page's tests: a real server on 127.0.0.1, a browser-like client with
cookies and the CSRF token, workbooks of distinct agencies."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from docx_report.web import create_app
from docx_report.web.server import make_server
from tests.helpers import copy_example, set_cells

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@contextmanager
def running(**config: Any) -> Iterator[str]:
    """The application served by waitress (as ``serve`` does) on a free port; its URL."""
    app = create_app(**config)
    server = make_server(app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.stop()
        thread.join(10)
        app.extensions["docx_report.work"].close()
        assert not thread.is_alive(), "the server did not stop"


class Browser:
    """urllib with a cookie jar: gets a page's CSRF token, posts forms and files."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        try:
            with self.opener.open(self.base.rstrip("/") + path, timeout=120) as r:
                return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)

    def token(self) -> str:
        _, text, _ = self.get("/")
        match = CSRF.search(text)
        assert match, text[:500]
        return match.group(1)

    def post(self, path: str, fields: dict[str, str],
             files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, str]:
        boundary = uuid.uuid4().hex
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
                         f"\r\n\r\n{value}\r\n".encode())
        for name, (filename, content) in (files or {}).items():
            quoted = urllib.parse.quote(filename)
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                         f'filename="{quoted}"\r\nContent-Type: application/octet-stream'
                         "\r\n\r\n".encode() + content + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            self.base.rstrip("/") + path, data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with self.opener.open(request, timeout=120) as r:
                return r.status, r.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            with exc:
                return exc.code, exc.read().decode("utf-8", "replace")


def agency_workbook(tmp_path: Path, agency: str, *, errors: bool = False) -> Path:
    """The 2021 example under another agency's name, with three errors if asked."""
    path = copy_example(tmp_path, name=f"{agency}.xlsx")
    cells: dict[tuple[str, str], Any] = {("基本信息", "B4"): agency}
    if errors:
        cells |= {("三、依申请公开", "D31"): 75, ("三、依申请公开", "E12"): "无",
                  ("四、复议诉讼", "E8"): 0}
    return set_cells(path, cells)
