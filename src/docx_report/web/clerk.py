"""The clerk's pages: blank workbook, upload and check, the form with its problems, downloads,
and the check of a restyled Word template.

Every check and build is the library's own one-workbook path (``report.check_workbook``,
``report.build_report``, ``pdf.convert``, ``template_lint.lint_template``); this module only
moves files between the browser and a temporary folder and renders the results.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, redirect, render_template, request, send_file, url_for
from werkzeug.datastructures import FileStorage

from docx_report import report
from docx_report.errors import (
    ConversionError,
    PreviousUnreadable,
    Problem,
    ProblemsFound,
    ReportError,
)
from docx_report.web.app import UserError, work
from docx_report.web.work import PREVIOUS, PUBLISHED, Item

PDF_TIMEOUT = 90.0  # seconds for one conversion (pdf.convert kills and retries a hang)
# LibreOffice processes at once for the whole site, and requests allowed to queue for one: a
# request beyond those is refused at once, so slow conversions never hold every server thread.
PDF_SLOTS = threading.BoundedSemaphore(2)
PDF_QUEUE = threading.BoundedSemaphore(6)
PDF_WAIT = 300.0
DOWNLOADS = {  # kind → (suffix, label)
    "docx": (".docx", "Word 报告（.docx）"),
    "pdf": (".pdf", "PDF/A 归档件"),
    "html": (".html", "网页版（.html）"),
    "fragment": (".fragment.html", "网页片段（粘贴到网站编辑器）"),
}


def packs(app: Flask) -> dict[str, Any]:
    """The packs the pages offer, by name (create_app loaded them)."""
    found: dict[str, Any] = app.extensions["docx_report.packs"]
    return found


def chosen_pack(app: Flask) -> Any:
    """The pack a form names: one of the offered packs, by name, never a path."""
    pack = packs(app).get(request.form.get("pack", ""))
    if pack is None:
        raise UserError("请选择报告格式。")
    return pack


def upload(name: str, *, required: bool = True) -> FileStorage | None:
    file = request.files.get(name)
    if file is None or not file.filename:
        if required:
            raise UserError("请选择要上传的文件。")
        return None
    return file


def shown_problems(item: Item, problems: list[Problem]) -> list[Problem]:
    return [dataclasses.replace(p, message=item.scrub(p.message), file="") for p in problems]


def check_upload(app: Flask, item: Item) -> None:
    """Check the workbook saved in the item's folder; a file that cannot be read at all is a
    ``UserError`` (the item is dropped)."""
    try:
        item.checked = report.check_workbook(item.workbook, previous=item.previous_path)
    except PreviousUnreadable as exc:  # no --previous on a web page: the file uploaded as it
        work(app).drop(item)
        raise UserError(f"上传的{exc.what}无法读取：{item.scrub(exc.reason)}", 422) from None
    except ReportError as exc:
        message = item.scrub(str(exc))
        work(app).drop(item)
        raise UserError(f"无法检查上传的文件：{message}", 422) from None


def with_last(item: Item, last: Any) -> None:
    """Check again with the office's stored submission of last year as ``--previous``; if it
    cannot be used, the first check stands."""
    try:
        shutil.copyfile(last.workbook, item.folder / PREVIOUS)
        checked = report.check_workbook(item.workbook, previous=item.folder / PREVIOUS)
    except (OSError, ReportError):
        (item.folder / PREVIOUS).unlink(missing_ok=True)
        return
    item.checked, item.previous, item.previous_from = checked, True, last


def soffice_available() -> bool:
    from docx_report.pdf import find_soffice

    return find_soffice() is not None


def build(item: Item, kind: str) -> Any:
    """The requested output of an error-free upload, built once and kept in its folder."""
    checked = item.checked
    name = checked.output_name()
    with item.lock:
        if "docx" not in item.outputs:
            out = item.folder / "out" / f"{name}.docx"
            try:
                built = report.build_report(item.workbook, out=out, previous=item.previous_path)
            except ProblemsFound:
                raise UserError("工作簿有错误，改正错误并重新上传后才能生成报告。", 409) from None
            except ReportError as exc:
                raise UserError(item.scrub(str(exc)), 500) from None
            item.outputs["docx"] = built.docx
        if kind == "pdf" and "pdf" not in item.outputs:
            item.outputs["pdf"] = _pdf(item)
        if kind in ("html", "fragment") and kind not in item.outputs:
            from docx_report.files import write_bytes_atomically
            from docx_report.html import Form, checked_html

            target = item.folder / "out" / f"{name}{DOWNLOADS[kind][0]}"
            form: Form = "page" if kind == "html" else "fragment"
            write_bytes_atomically(target, checked_html(checked, form=form).encode("utf-8"))
            item.outputs[kind] = target
    return send_file(item.outputs[kind], as_attachment=True,
                     download_name=f"{name}{DOWNLOADS[kind][0]}")


def _pdf(item: Item) -> Any:
    from docx_report import pdf

    busy = UserError("服务器正忙（正在转换其他 PDF），请稍后再试。", 503)
    if not PDF_QUEUE.acquire(blocking=False):
        raise busy
    try:
        if not PDF_SLOTS.acquire(timeout=PDF_WAIT):
            raise busy
        try:
            [result] = pdf.convert([item.outputs["docx"]], timeout=PDF_TIMEOUT)
        except ConversionError:
            raise UserError("服务器上没有安装 LibreOffice，无法生成 PDF；请下载 Word 报告。",
                            503) from None
        finally:
            PDF_SLOTS.release()
    finally:
        PDF_QUEUE.release()
    if result.pdf is None:
        raise UserError(f"转换 PDF 失败：{item.scrub(result.error)}", 500)
    return result.pdf


def register(app: Flask) -> None:
    @app.get("/")
    def index() -> str:
        from docx_report.report import DEFAULT_PACK

        return render_template("index.html", packs=list(packs(app).values()), default=DEFAULT_PACK)

    @app.get("/report.css")
    def report_css() -> Response:
        from docx_report.html import stylesheet

        return Response(stylesheet(), mimetype="text/css")

    @app.post("/blank")
    def blank() -> Any:
        from docx_report.names import safe_filename

        pack = chosen_pack(app)
        agency = request.form.get("agency", "").strip()[:100]
        year_text = request.form.get("year", "").strip()
        year = int(year_text) if year_text.isdigit() and 1900 <= int(year_text) <= 2100 else None
        if year_text and year is None:  # the bounds of init --year
            raise UserError(f"年度应为四位数年份（如 2024），实为「{year_text[:20]}」。")
        item = work(app).new("blank.xlsx")
        report.init_workbook(item.workbook, pack=pack, agency=agency, year=year, force=True)
        name = safe_filename(f"{agency}{year or ''}年报工作簿", fallback="年报工作簿")
        return send_file(item.workbook, as_attachment=True, download_name=f"{name}.xlsx")

    @app.post("/check")
    def check() -> Any:
        file = upload("workbook")
        assert file is not None
        item = work(app).new(file.filename or "")
        file.save(item.workbook)
        previous = upload("previous", required=False)
        if previous is not None:
            suffix = Path(previous.filename or "").suffix.lower()
            if suffix in PUBLISHED:
                item.previous_name = f"上年报告{suffix}"
            previous.save(item.folder / item.previous_name)
            item.previous = True
        check_upload(app, item)
        store = app.extensions["docx_report.store"]
        facts = item.checked.data.facts
        if store is not None and facts.get("agency") and isinstance(facts.get("year"), int):
            last = store.find(str(facts["agency"]), facts["year"] - 1)
            if previous is None and last is not None:
                with_last(item, last)
            item.stored = store.save(
                str(facts["agency"]), facts["year"], item.workbook.read_bytes(),
                pack=item.checked.data.pack.name, filename=item.shown,
                problems=shown_problems(item, item.checked.problems))
        return redirect(url_for("result", item_id=item.id), 303)

    @app.get("/r/<item_id>")
    def result(item_id: str) -> str:
        from docx_report.html import place, render_html

        item = work(app).get(item_id)
        if item is None or item.checked is None:
            abort(404)
        checked = item.checked
        problems = shown_problems(item, checked.problems)
        preview = render_html(checked.data.pack, checked.context(), checked.output_name(),
                              form="body", problems=problems)
        return render_template(
            "result.html", item=item, checked=checked, marks=place(checked.data.pack,
                                                                   problems).marks,
            preview=preview, errors=len(checked.errors), warnings=len(checked.warnings),
            downloads=[(k, label) for k, (_, label) in DOWNLOADS.items()
                       if k != "pdf" or soffice_available()])

    @app.get("/r/<item_id>/<kind>")
    def download(item_id: str, kind: str) -> Any:
        item = work(app).get(item_id)
        if item is None or item.checked is None or kind not in DOWNLOADS:
            abort(404)
        if item.checked.errors:
            raise UserError("工作簿有错误，改正错误并重新上传后才能生成报告。", 409)
        return build(item, kind)

    @app.post("/template")
    def template_check() -> str:
        from docx_report.context import example_context
        from docx_report.template_lint import lint_template

        file = upload("template")
        assert file is not None
        pack = chosen_pack(app)
        item = work(app).new(file.filename or "模板.docx")
        try:
            path = item.folder / "模板.docx"
            file.save(path)
            optional = {f.key for f in pack.fields if not f.in_report}
            try:
                found = lint_template(path, example_context(pack), optional=optional)
            except ReportError as exc:
                raise UserError(f"无法检查上传的模板：{str(exc).replace(str(path), item.shown)}",
                                422) from None
            problems = [dataclasses.replace(p, file="", message=p.message.replace(
                str(path), item.shown)) for p in found]
        finally:
            work(app).drop(item)
        return render_template("template_check.html", problems=problems, shown=item.shown,
                               pack=pack)
