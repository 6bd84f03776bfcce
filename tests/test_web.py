"""docx-report serve: the pages, their guards and the office's store, through the real
application (Flask's test client) and a real waitress server on 127.0.0.1."""

from __future__ import annotations

import io
import os
import re
import sys
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from pypdf import PdfReader

from docx_report import report
from docx_report.cli import main
from docx_report.web import clerk, create_app
from docx_report.web.app import CSP
from tests.helpers import (
    EXAMPLE_2021,
    EXAMPLE_2021_PREVIOUS,
    ROOT,
    T3,
    copy_example,
    set_cells,
)
from tests.test_bad_inputs import zip_bomb
from tests.test_pdf import fake_soffice, runs  # noqa: F401 (a fixture)
from tests.web_helpers import CSRF, Browser, agency_workbook, running


def client_for(tmp_path: Path, **config: Any) -> tuple[FlaskClient, str]:
    app = create_app(work_root=tmp_path, **config)
    client = app.test_client()
    match = CSRF.search(client.get("/").text)
    assert match
    return client, match.group(1)


def upload(client: FlaskClient, token: str, path: Path, name: str = "",
           previous: Path | None = None) -> Any:
    data: dict[str, Any] = {"csrf": token,
                            "workbook": (io.BytesIO(path.read_bytes()), name or path.name)}
    if previous is not None:
        data["previous"] = (io.BytesIO(previous.read_bytes()), previous.name)
    return client.post("/check", data=data, follow_redirects=True)


def test_pages_carry_no_script_and_a_strict_csp(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    for response in (client.get("/"), upload(client, token, EXAMPLE_2021)):
        assert response.status_code == 200
        assert response.headers["Content-Security-Policy"] == CSP
        assert "script-src 'none'" in CSP and "unsafe-inline" not in CSP
        assert "<script" not in response.text and " on" + "click=" not in response.text
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    with client.get("/static/style.css") as css:
        assert css.status_code == 200
    assert "@page" in client.get("/report.css").text


def test_errors_are_listed_located_and_placed_on_the_form(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    bad = agency_workbook(tmp_path, "某某局", errors=True)
    page = upload(client, token, bad).text
    assert "3 处错误" in page
    located = re.findall(r'<a class="where" href="#([^"]+)">([^<]+)</a>', page)
    assert [where for _, where in located] == [f"{T3}!E12", f"{T3}!D31", "四、复议诉讼!E8"]
    for anchor, _ in located:  # each link's target exists and is highlighted
        assert re.search(rf'id="{anchor}"[^>]*class="problem error"', page), anchor
    assert "应为 49（各项之和），实为 75" in page
    assert "/docx" not in page  # no download while there are errors
    assert str(tmp_path) not in page  # no server path


def test_good_workbook_downloads_docx_and_html(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    response = upload(client, token, EXAMPLE_2021)
    assert "没有错误" in response.text
    link = re.search(r'href="(/r/[^"]+/docx)"', response.text)
    assert link
    with client.get(link.group(1)) as got:
        assert got.status_code == 200
        assert "filename*=UTF-8''" in got.headers["Content-Disposition"]
        tables = docx.Document(io.BytesIO(got.data)).tables
    assert tables[1].rows[3].cells[9].text == "63"  # 本年新收·总计 of the example
    with client.get(link.group(1).replace("/docx", "/html")) as page:
        assert page.status_code == 200 and b"<table" in page.data and b"63" in page.data


def test_last_years_workbook_is_used_for_the_cross_year_rules(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    page = upload(client, token, EXAMPLE_2021, previous=EXAMPLE_2021_PREVIOUS).text
    assert "没有错误" in page
    # Last year's 结转下年度 no longer matches this year's 上年结转: a cross-year problem.
    changed = set_cells(copy_example(tmp_path, EXAMPLE_2021_PREVIOUS), {(T3, "D32"): 9})
    page = upload(client, token, EXAMPLE_2021, previous=changed).text
    assert "上年" in page and 'class="where" href="#t-requests-' in page


def test_last_years_published_report_is_used_for_the_cross_year_rules(tmp_path: Path) -> None:
    # Last year's report as published (.docx), with 结转下年度 +7 (and 上年结转 +7, so it
    # balances): this year's 上年结转 no longer matches it.
    last = copy_example(tmp_path, EXAMPLE_2021_PREVIOUS)
    changed = set_cells(last, {(T3, "D9"): 2 + 7, (T3, "D32"): 3 + 7})
    published = report.build_report(changed, out=tmp_path / "2023年报.docx").docx
    client, token = client_for(tmp_path)
    page = upload(client, token, EXAMPLE_2021, previous=published).text
    assert "无法检查" not in page and "Word 文档" not in page
    assert "上年" in page and 'class="where" href="#t-requests-' in page
    assert 'accept=".xlsx,.docx,.html,.htm,.pdf"' in client.get("/").text


@pytest.mark.pdf
def test_pdf_download_goes_through_the_pdf_module(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    page = upload(client, token, EXAMPLE_2021).text
    link = re.search(r'href="(/r/[^"]+/pdf)"', page)
    assert link, "LibreOffice is installed: the PDF/A link is offered"
    with client.get(link.group(1)) as got:
        assert got.status_code == 200 and got.data.startswith(b"%PDF")
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(got.data)).pages)
    assert "临江市市场监督管理局" in text and b"pdfaid:part" in got.data


def test_a_hanging_pdf_conversion_never_hangs_the_site(
        tmp_path: Path, fake_soffice: Path,  # noqa: F811 (test_pdf's fixture)
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_MODE", "hang")  # a soffice that never finishes
    monkeypatch.setattr(clerk, "PDF_TIMEOUT", 1.0)
    with running(work_root=tmp_path) as url:
        browser = Browser(url)
        _, page = browser.post("/check", {"csrf": browser.token()},
                               {"workbook": ("好.xlsx", EXAMPLE_2021.read_bytes())})
        link = re.search(r'href="(/r/[^"]+/pdf)"', page)
        assert link
        with ThreadPoolExecutor(1) as pool:
            pdf = pool.submit(browser.get, link.group(1))
            started = time.monotonic()
            other = Browser(url)
            status, page = other.post("/check", {"csrf": other.token()},
                                      {"workbook": ("另.xlsx", EXAMPLE_2021.read_bytes())})
            assert status == 200 and "没有错误" in page
            assert not pdf.done() and time.monotonic() - started < 2  # answered meanwhile
            status, text, _ = pdf.result(timeout=60)
    assert status == 500 and "转换 PDF 失败" in text and "转换超时" in text
    assert str(tmp_path) not in text and "Traceback" not in text
    assert len(runs(fake_soffice)) == 2  # killed, retried once, killed


def test_blank_workbook_download(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    with client.post("/blank", data={"csrf": token, "pack": "gov-disclosure-2019",
                                     "agency": "某某县财政局", "year": "2020"}) as got:
        assert got.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(got.data))
    assert book["基本信息"]["B4"].value == "某某县财政局"
    assert book["_docx_report"]["B1"].value == "gov-disclosure-2019"
    bad = client.post("/blank", data={"csrf": token, "pack": "gov-disclosure-2021",
                                      "year": "二〇二四"})
    assert bad.status_code == 400 and "年度应为" in bad.text


def test_forms_need_the_csrf_token(tmp_path: Path) -> None:
    client, _ = client_for(tmp_path)
    response = client.post("/check", data={"workbook": (io.BytesIO(b"x"), "a.xlsx")})
    assert response.status_code == 400 and "安全校验未通过" in response.text
    response = client.post("/blank", data={"csrf": "forged", "pack": "gov-disclosure-2021"})
    assert response.status_code == 400


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("炸弹.xlsx", zip_bomb, "压缩炸弹"),
    ("报告.xlsx", lambda: (Path(__file__).parent.parent / "examples" /
                         "临江市市场监督管理局2024年政府信息公开工作年度报告.docx").read_bytes(),
     "这是 Word 文档"),
    ("空.xlsx", lambda: b"", "文件是空的"),
], ids=["zip-bomb", "renamed-docx", "empty"])
def test_hostile_uploads_get_the_chinese_error_page(tmp_path: Path, name: str, content: Any,
                                                    expected: str) -> None:
    client, token = client_for(tmp_path)
    response = client.post("/check", data={"csrf": token,
                                           "workbook": (io.BytesIO(content()), name)})
    assert response.status_code == 422
    assert expected in response.text and name in response.text
    assert "Traceback" not in response.text and str(tmp_path) not in response.text
    assert list(next(tmp_path.glob("docx-report-web-*")).iterdir()) == []  # nothing kept


def test_internal_errors_show_no_traceback(tmp_path: Path, caplog: pytest.LogCaptureFixture
                                           ) -> None:
    app = create_app(work_root=tmp_path)

    def boom() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/boom", view_func=boom)
    response = app.test_client().get("/boom")
    assert response.status_code == 500 and "服务器内部错误" in response.text
    assert "secret detail" not in response.text and "Traceback" not in response.text
    assert "secret detail" in caplog.text  # in the server's log instead
    assert "找不到这个页面" in app.test_client().get("/r/nothing").text


def test_upload_size_limit_over_a_real_server(tmp_path: Path) -> None:
    with running(work_root=tmp_path, max_bytes=1024 * 1024) as url:
        browser = Browser(url)
        status, page = browser.post("/check", {"csrf": browser.token()},
                                    {"workbook": ("大.xlsx", bytes(2 * 1024 * 1024))})
    assert status == 413 and "上传的文件太大（超过 1 MB）" in page


def test_token_guards_every_page(tmp_path: Path) -> None:
    app = create_app(work_root=tmp_path, data_dir=tmp_path / "data", token="s3cret")
    client = app.test_client()
    for path in ("/", "/office", "/office/x/2024/slip"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    login = client.get("/login?next=/office")
    token = CSRF.search(login.text)
    assert token
    wrong = client.post("/login?next=/office", data={"csrf": token.group(1), "token": "nope"})
    assert wrong.status_code == 403 and "口令不正确" in wrong.text
    right = client.post("/login?next=//evil.example/", data={"csrf": token.group(1),
                                                              "token": "s3cret"})
    assert right.status_code == 302 and right.headers["Location"] == "/"
    assert client.get("/office").status_code == 200
    other = app.test_client()
    assert other.get("/?token=s3cret").status_code == 302
    assert other.get("/").status_code == 200


def test_serve_refuses_a_public_address_without_token() -> None:
    result = CliRunner().invoke(main, ["serve", "--host", "0.0.0.0", "--no-browser"])
    assert result.exit_code == 2
    assert "必须用 --token 设置访问口令" in result.output


def test_serve_says_how_to_install_flask(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "flask", None)  # as if the extra were not installed
    result = CliRunner().invoke(main, ["serve", "--no-browser"])
    assert result.exit_code == 1
    assert "pip install 'docx-report[serve]'" in result.output


def test_office_keeps_every_upload_named_by_agency(tmp_path: Path) -> None:
    data = tmp_path / "data"
    client, token = client_for(tmp_path, data_dir=data, office_name="某某区政务公开办")
    first = agency_workbook(tmp_path, "甲县统计局", errors=True)
    page = upload(client, token, first, name="../../../etc/passwd.xlsx").text
    # stored, and the clerk told that the office sees its errors until it is replaced
    assert "这一份有 3 处错误，主管部门会看到；改正后重新上传即替换它" in page
    (tmp_path / "again").mkdir()
    page = upload(client, token, agency_workbook(tmp_path / "again", "甲县统计局")).text
    assert "此前的 1 份已存为历史" in page and "处错误，主管部门会看到" not in page
    upload(client, token, agency_workbook(tmp_path, "乙县民政局", errors=True))
    folder = data / "submissions" / "甲县统计局" / "2024"
    current = folder / "甲县统计局-2024.xlsx"
    assert openpyxl.load_workbook(current)[T3]["D31"].value != 75  # the good one is current
    [old] = (folder / "history").glob("*.xlsx")
    assert openpyxl.load_workbook(old)[T3]["D31"].value == 75  # the first kept as history
    assert not any("passwd" in p.name for p in data.rglob("*"))
    board = client.get("/office").text
    assert board.count("<tr class=") == 2
    assert re.search(r"甲县统计局</td><td>2024</td>\s*<td><span class=\"status ok\">可生成", board)
    assert re.search(r"乙县民政局</td><td>2024</td>\s*<td><span class=\"status error\">有错误",
                     board)
    slip = client.get("/office/乙县民政局/2024/slip").text
    assert "退回单" in slip and f"{T3}!D31" in slip and "应为 49（各项之和），实为 75" in slip
    assert "某某区政务公开办" in slip
    assert client.get("/office/../../etc/2024/slip").status_code == 404
    # One click: the batch over the current submissions (summary.xlsx, 汇总, reports).
    got = client.post("/office/batch", data={"csrf": token, "year": "2024"})
    assert got.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(got.data)).namelist()
    assert "summary.xlsx" in names and any(n.startswith("汇总/") for n in names)
    summary = openpyxl.load_workbook(io.BytesIO(
        zipfile.ZipFile(io.BytesIO(got.data)).read("summary.xlsx")))
    rows = list(summary["各机关情况"].iter_rows(values_only=True))
    column = rows[0].index("机关名称")
    agencies = {row[column] for row in rows[1:]}
    assert {"甲县统计局", "乙县民政局"} <= agencies


def test_office_uses_last_years_submission_for_the_cross_year_rules(tmp_path: Path) -> None:
    client, token = client_for(tmp_path, data_dir=tmp_path / "data")
    last = set_cells(copy_example(tmp_path, EXAMPLE_2021_PREVIOUS), {(T3, "D32"): 9})
    assert "已报送：临江市市场监督管理局 2023 年度" in upload(client, token, last).text
    page = upload(client, token, EXAMPLE_2021).text
    assert "跨年度核对使用了已报送的 2023 年度工作簿" in page
    assert re.search(r"上年.*结转", page) and "没有错误" not in page
    # The clerk's own upload of last year's workbook wins over the stored one.
    page = upload(client, token, EXAMPLE_2021, previous=EXAMPLE_2021_PREVIOUS).text
    assert "跨年度核对使用了上传的上年度工作簿" in page and "没有错误" in page


def test_template_check_page(tmp_path: Path) -> None:
    client, token = client_for(tmp_path)
    template = EXAMPLE_2021.parent.parent / "templates" / "gov-disclosure-2021" / "template.docx"
    ok = client.post("/template", data={"csrf": token, "pack": "gov-disclosure-2021",
                                        "template": (io.BytesIO(template.read_bytes()), "t.docx")})
    assert ok.status_code == 200 and "模板检查通过" in ok.text
    other = client.post("/template", data={"csrf": token, "pack": "gov-disclosure-2019",
                                           "template": (io.BytesIO(template.read_bytes()),
                                                        "t.docx")})
    assert other.status_code == 200 and "处错误" in other.text
    assert str(tmp_path) not in other.text


def test_twenty_simultaneous_uploads_are_all_answered_right(tmp_path: Path) -> None:
    agencies = [(f"第{i:02d}号测试局", i % 3 == 0) for i in range(20)]
    files = {name: agency_workbook(tmp_path, name, errors=bad).read_bytes()
             for name, bad in agencies}
    with running(work_root=tmp_path, data_dir=tmp_path / "data") as url:
        def one(agency: tuple[str, bool]) -> tuple[str, bool, int, str]:
            browser = Browser(url)
            status, page = browser.post("/check", {"csrf": browser.token()},
                                        {"workbook": (f"{agency[0]}.xlsx", files[agency[0]])})
            return agency[0], agency[1], status, page

        with ThreadPoolExecutor(20) as pool:
            results = list(pool.map(one, agencies))
        board = Browser(url).get("/office")[1]
    for name, bad, status, page in results:
        assert status == 200, page[:300]
        assert f"已报送：{name} 2024 年度" in page  # its own result, not another's
        assert ("3 处错误" in page) is bad and ("没有错误" in page) is not bad
    assert all(board.count(name) == 1 for name, _ in agencies)


def test_store_keeps_every_one_of_simultaneous_uploads(tmp_path: Path) -> None:
    from docx_report.web.store import Store

    store = Store(tmp_path / "data")
    contents = [EXAMPLE_2021.read_bytes() + bytes([i]) for i in range(10)]  # distinguishable
    with ThreadPoolExecutor(10) as pool:
        list(pool.map(lambda c: store.save(" 某 局 ", 2024, c, pack="p", filename="x.xlsx",
                                           problems=[]), contents))
    [sub] = store.all()
    assert sub.agency == "某 局" and sub.history == 9
    kept = [sub.workbook.read_bytes(), *(p.read_bytes() for p in
                                         (sub.folder / "history").glob("*.xlsx"))]
    assert sorted(kept) == sorted(contents)  # none lost, none half-written
    assert not [p for p in sub.folder.rglob("*") if p.name.endswith(".tmp")]
    assert store.folder("某局", 2024) == sub.folder  # spaces folded: one agency


def test_serve_command_serves_until_interrupted(tmp_path: Path) -> None:
    import signal
    import subprocess
    import urllib.request

    process = subprocess.Popen(
        [sys.executable, "-m", "docx_report", "serve", "--port", "0", "--no-browser",
         "--data", str(tmp_path / "data")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url and "主管部门模式" in line, line
        with urllib.request.urlopen(url.group(0) + "office", timeout=30) as response:
            assert response.status == 200 and "各机关报送情况" in response.read().decode()
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "GET /office 200" in err  # the request log
    assert (tmp_path / "data" / "submissions").is_dir()
    assert not list(tmp_path.glob("docx-report-web-*"))  # its temporary folder removed


def test_serve_offers_a_pack_folder_by_its_name_never_by_path(tmp_path: Path) -> None:
    folder = ROOT / "examples" / "street-monthly"
    client, token = client_for(tmp_path, packs=[str(folder)])
    home = client.get("/").text
    assert 'value="street-monthly"' in home and "gov-disclosure-2021" in home
    with client.post("/blank", data={"csrf": token, "pack": "street-monthly",
                                     "agency": "青山街道办事处", "year": "2024"}) as got:
        assert got.status_code == 200
        book = openpyxl.load_workbook(io.BytesIO(got.data))
    assert book["基本信息"]["B4"].value == "青山街道办事处"
    assert book["_docx_report"]["B1"].value == "street-monthly"
    by_path = client.post("/blank", data={"csrf": token, "pack": str(folder)})
    assert by_path.status_code == 400 and "请选择报告格式" in by_path.text
    (tmp_path / "plain").mkdir()
    plain, _ = client_for(tmp_path / "plain")
    assert "street-monthly" not in plain.get("/").text


def test_an_unreadable_last_year_file_is_named_as_the_clerk_uploaded_it(tmp_path: Path) -> None:
    empty = tmp_path / "去年.xlsx"
    empty.write_bytes(b"")
    client, token = client_for(tmp_path)
    page = upload(client, token, EXAMPLE_2021, previous=empty)
    assert page.status_code == 422
    text = page.text
    assert "上传的上年工作簿无法读取：文件是空的" in text
    assert "--previous" not in text and str(tmp_path) not in text
