"""The office's pages (``serve --data DIR``): the dashboard of every agency's submission, one
agency's workbook and 退回单, and the batch (summary.xlsx and 汇总) of all submissions.

The batch is ``batch.run_batch`` itself over the current submissions of a year, one run at a
time (it keeps per-process state); its OUTDIR is ``DIR/batch/<年度>``, zipped for download.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import threading
import zipfile
from typing import Any

from flask import Flask, abort, redirect, render_template, request, send_file, url_for

from docx_report.errors import ReportError
from docx_report.web.app import UserError, work
from docx_report.web.store import Store, Submission

_BATCH_LOCK = threading.Lock()


def _store(app: Flask) -> Store:
    store = app.extensions["docx_report.store"]
    if store is None:
        abort(404)
    return store  # type: ignore[no-any-return]


def _submission(app: Flask, slug: str, year: int) -> Submission:
    sub = _store(app).get(slug, year)
    if sub is None:
        abort(404)
    return sub


def batch_zip(store: Store, year: int, name: str = "") -> tuple[io.BytesIO, str]:
    """Run the batch over a year's current submissions; its summary and 汇总 as a zip."""
    from docx_report import batch

    subs = [s for s in store.all() if s.year == year and s.workbook.is_file()]
    if not subs:
        raise UserError(f"{year} 年度还没有收到任何工作簿。", 404)
    outdir = store.batch_dir(year)
    if not _BATCH_LOCK.acquire(blocking=False):  # one batch at a time; never queue threads
        raise UserError("正在生成另一份汇总，请稍后再试。", 503)
    try:
        result = batch.run_batch([s.workbook for s in subs], outdir, jobs=1, name=name)
    except ReportError as exc:
        raise UserError(f"生成汇总失败：{exc}", 500) from None
    finally:
        _BATCH_LOCK.release()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        # summary.xlsx, 汇总/ and every agency's report: OUTDIR as the batch left it.
        for path in sorted(result.outdir.rglob("*")):
            inside = path.relative_to(result.outdir)
            if path.is_file() and not any(part.startswith(".") for part in inside.parts):
                zf.write(path, inside.as_posix())
    buffer.seek(0)
    return buffer, f"{year}年度汇总.zip"


def register(app: Flask) -> None:
    @app.get("/office")
    def dashboard() -> str:
        store = _store(app)
        subs = store.all()
        return render_template("dashboard.html", subs=subs, years=store.years(),
                               ready=sum(1 for s in subs if not s.errors))

    @app.get("/office/<slug>/<int:year>")
    def submission(slug: str, year: int) -> Any:
        from docx_report.web.clerk import check_upload

        sub = _submission(app, slug, year)
        item = work(app).new(f"{sub.slug}-{sub.year}.xlsx")
        shutil.copyfile(sub.workbook, item.workbook)
        check_upload(app, item)
        item.stored = sub
        return redirect(url_for("result", item_id=item.id), 303)

    @app.get("/office/<slug>/<int:year>/workbook")
    def workbook(slug: str, year: int) -> Any:
        sub = _submission(app, slug, year)
        return send_file(sub.workbook, as_attachment=True, download_name=sub.workbook.name)

    @app.get("/office/<slug>/<int:year>/slip")
    def slip(slug: str, year: int) -> str:
        sub = _submission(app, slug, year)
        problems = sorted(sub.problems, key=lambda p: p.get("level") != "error")
        return render_template("slip.html", sub=sub, problems=problems,
                               today=dt.date.today())

    @app.post("/office/batch")
    def run_batch() -> Any:
        store = _store(app)
        year_text = request.form.get("year", "")
        if not year_text.isdigit():
            raise UserError("请选择年度。")
        buffer, name = batch_zip(store, int(year_text), app.config["DOCX_REPORT_OFFICE"])
        return send_file(buffer, as_attachment=True, download_name=name,
                         mimetype="application/zip")
