"""The Flask application: configuration, security headers, CSRF, the token, error pages.

Every page is rendered on the server; the pages carry no script at all, and the
Content-Security-Policy forbids any. Every form carries a CSRF token bound to the session.
With a token configured, every page but the login needs it (once per browser session).
Whatever goes wrong, the browser gets a Chinese page; tracebacks go to the server's log only.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from docx_report import __version__
from docx_report.errors import ReportError
from docx_report.pack import Pack, builtin_packs
from docx_report.web.work import Work

log = logging.getLogger("docx_report.web")

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
CSP = ("default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_HTTP_MESSAGES = {
    400: "请求无效。请返回上一页重试。",
    403: "没有权限访问这个页面。",
    404: "找不到这个页面；上传的结果只保留几个小时，请重新上传。",
    405: "不支持这样访问这个页面。",
    413: "上传的文件太大（超过 {limit}），不像报告工作簿。",
}
_OPEN = {"static", "login", "report_css"}  # what needs no token


class UserError(Exception):
    """Raised by a view for a mistake the user can fix: shown on the error page as is."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def create_app(*, data_dir: Path | None = None, token: str | None = None,
               max_bytes: int = DEFAULT_MAX_BYTES, work_root: Path | None = None,
               office_name: str = "", packs: Sequence[str] = ()) -> Flask:
    """The application. ``data_dir`` turns on the office's pages (submissions kept there);
    ``office_name`` (某某区) signs the 退回单 and names the 汇总, as ``batch --name`` does;
    ``packs`` (folders) are offered beside the built-in ones, loaded once here: a page names a
    pack by its name, never by a path."""
    app = Flask("docx_report.web", root_path=str(Path(__file__).parent))
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32), MAX_CONTENT_LENGTH=max_bytes,
        MAX_FORM_MEMORY_SIZE=1024 * 1024, MAX_FORM_PARTS=50,
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Strict",
        DOCX_REPORT_TOKEN=token or "", DOCX_REPORT_OFFICE=office_name.strip()[:100],
    )
    app.extensions["docx_report.work"] = Work(work_root)
    app.extensions["docx_report.packs"] = _packs(packs)
    store = None
    if data_dir is not None:
        from docx_report.web.store import Store

        store = Store(data_dir)
    app.extensions["docx_report.store"] = store
    _security(app)
    _errors(app)

    from docx_report.web import clerk, office

    clerk.register(app)
    office.register(app)

    @app.context_processor
    def globals_() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "office": store is not None, "version": __version__,
                "locked": bool(app.config["DOCX_REPORT_TOKEN"]),
                "office_name": app.config["DOCX_REPORT_OFFICE"]}

    return app


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return str(session["csrf"])


def _security(app: Flask) -> None:
    @app.before_request
    def guard() -> Any:
        token = app.config["DOCX_REPORT_TOKEN"]
        if token and request.endpoint not in _OPEN and not session.get("auth"):
            given = request.args.get("token", "")
            if given and hmac.compare_digest(given.encode(), token.encode()):
                session["auth"] = True
                return redirect(request.path)
            return redirect(url_for("login", next=request.path))
        if request.method == "POST":
            sent = request.form.get("csrf", "")
            expected = session.get("csrf", "")
            if not expected or not hmac.compare_digest(str(sent).encode(), expected.encode()):
                raise UserError("页面已过期或来源不明（安全校验未通过）。"
                                "请返回首页刷新后重新提交。", 400)
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            response.headers["Cache-Control"] = "no-store"
        log.info("%s %s %s %s", request.remote_addr, request.method, request.path,
                 response.status_code)
        return response

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = request.args.get("next", "/")
        if urlsplit(target).netloc or not target.startswith("/") or target.startswith("//"):
            target = "/"
        failed = False
        if request.method == "POST":
            given = request.form.get("token", "")
            token = app.config["DOCX_REPORT_TOKEN"]
            if token and hmac.compare_digest(given.encode(), token.encode()):
                session["auth"] = True
                return redirect(target)
            failed = True
        return render_template("login.html", failed=failed, next=target), 403 if failed else 200


def _errors(app: Flask) -> None:
    def page(message: str, status: int) -> tuple[str, int]:
        return render_template("error.html", message=message, status=status), status

    @app.errorhandler(UserError)
    def user_error(exc: UserError) -> tuple[str, int]:
        return page(str(exc), exc.status)

    @app.errorhandler(ReportError)
    def report_error(exc: ReportError) -> tuple[str, int]:  # a view forgot to scrub: no paths
        log.warning("unhandled ReportError: %s", exc)
        return page(str(exc).replace(str(work(app).root), ""), 400)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        status = exc.code or 500
        limit = f"{app.config['MAX_CONTENT_LENGTH'] // 1024 // 1024} MB"
        message = _HTTP_MESSAGES.get(status, "请求无法处理。").format(limit=limit)
        return page(message, status)

    @app.errorhandler(Exception)
    def internal(exc: Exception) -> tuple[str, int]:
        log.exception("internal error on %s %s", request.method, request.path)
        return page("服务器内部错误，已记录在服务器日志中。请稍后重试，或把所用文件交给管理员。",
                    500)


def work(app: Any) -> Work:
    return app.extensions["docx_report.work"]  # type: ignore[no-any-return]


def need(condition: object, status: int = 404) -> None:
    if not condition:
        abort(status)


def _packs(folders: Sequence[str]) -> dict[str, Pack]:
    """The packs the pages offer, by name: the built-in ones, then the folders given."""
    from docx_report.engine import default

    found = {name: default().pack(name) for name in builtin_packs()}
    for folder in folders:
        pack = default().pack(folder)
        found[pack.name] = pack
    return found
