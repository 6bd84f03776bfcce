"""The web page in a real browser: Debian's Chromium driven by Playwright (never
``playwright install``), against a real waitress server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest

from tests.conftest import CHROMIUM
from tests.helpers import EXAMPLE_2021, T3
from tests.test_bad_inputs import zip_bomb
from tests.test_html import docx_grid
from tests.web_helpers import agency_workbook, running

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page; the test fails if the browser logged an error on any page it showed
    (a Content-Security-Policy violation, a missing stylesheet…)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1300, "height": 900},
                                  accept_downloads=True)
    new = context.new_page()
    errors: list[str] = []

    def logged(msg: Any) -> None:
        # Chromium fetches the favicon lazily, after the page has loaded; that request may find
        # the test's server already stopped (refused, or an empty response while it shuts
        # down). Every other failed load, on any page, fails the test.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.svg"):
            errors.append(f"{msg.text} ({msg.location.get('url', '')})")

    new.on("console", logged)
    yield new
    context.close()
    # The error pages of the hostile-file tests answer 422 by design.
    assert [e for e in errors if "status of 422" not in e] == []


def upload(page: Any, url: str, path: Path, previous: Path | None = None) -> None:
    page.goto(url)
    page.set_input_files("#workbook", str(path))
    if previous is not None:
        page.set_input_files("#previous", str(previous))
    page.click("#upload button[type=submit]")


def test_errors_are_located_and_highlighted(page: Any, tmp_path: Path) -> None:
    bad = agency_workbook(tmp_path, "某某局", errors=True)
    with running(work_root=tmp_path) as url:
        upload(page, url, bad)
        assert "3 处错误" in page.inner_text("#summary")
        items = page.locator("ol.problems li")
        assert items.count() == 3
        assert items.nth(1).locator(".where").inner_text() == f"{T3}!D31"
        highlighted = page.locator(".preview td.problem.error")
        assert highlighted.count() == 3
        cell = page.locator("#t-requests-26-3")
        assert "应为 49（各项之和），实为 75" in cell.inner_text()
        # The form's cell is far below; the problem's link brings it into view (no script).
        assert not _in_view(page, "#t-requests-26-3")
        items.nth(1).locator("a.where").click()
        page.wait_for_function("location.hash === '#t-requests-26-3'")
        page.wait_for_timeout(600)  # smooth scrolling
        assert _in_view(page, "#t-requests-26-3")
        page.screenshot(path=str(tmp_path / "errors.png"))


def _in_view(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return bool(box) and box["y"] >= 0 and box["y"] + box["height"] <= 900


def test_good_workbook_downloads_a_docx_whose_tables_read_right(page: Any, tmp_path: Path
                                                               ) -> None:
    with running(work_root=tmp_path) as url:
        upload(page, url, EXAMPLE_2021)
        assert "没有错误" in page.inner_text("#summary")
        preview = page.locator(".preview table.official").nth(1)
        with page.expect_download() as info:
            page.click("ul.downloads a >> nth=0")
        target = tmp_path / info.value.suggested_filename
        info.value.save_as(target)
    assert target.name == "临江市市场监督管理局2024年政府信息公开工作年度报告.docx"
    tables = docx.Document(str(target)).tables
    grid = docx_grid(tables[1])
    assert grid[3][0].startswith("一、本年新收") and grid[3][3:] == [
        "48", "9", "1", "0", "3", "2", "63"]
    # The preview on the page shows the same table 三 (its first body row).
    first = preview.locator("tbody tr").nth(0).locator("td").all_inner_texts()
    assert first == grid[3][3:]


def test_dashboard_lists_two_agencies_after_two_uploads(page: Any, tmp_path: Path) -> None:
    first = agency_workbook(tmp_path, "甲县统计局")
    second = agency_workbook(tmp_path, "乙县民政局", errors=True)
    with running(work_root=tmp_path, data_dir=tmp_path / "data") as url:
        upload(page, url, first)
        assert "已报送：甲县统计局 2024 年度" in page.inner_text(".stored")
        upload(page, url, second)
        page.goto(url + "office")
        rows = page.locator("table.dashboard tbody tr")
        assert rows.count() == 2
        texts = rows.all_inner_texts()
        assert any("甲县统计局" in t and "可生成" in t for t in texts)
        assert any("乙县民政局" in t and "有错误" in t for t in texts)
        page.screenshot(path=str(tmp_path / "dashboard.png"))
        page.locator("tr", has_text="乙县民政局").locator("text=退回单").click()
        assert "退回单" in page.inner_text("h1")
        assert page.locator("table.slip-problems tbody tr").count() == 3


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("炸弹.xlsx", zip_bomb, "压缩炸弹"),
    ("报告.xlsx", lambda: EXAMPLE_2021.with_name(
        "临江市市场监督管理局2024年政府信息公开工作年度报告.docx").read_bytes(), "这是 Word 文档"),
], ids=["zip-bomb", "renamed-docx"])
def test_hostile_files_get_the_chinese_error_page(page: Any, tmp_path: Path, name: str,
                                                  content: Any, expected: str) -> None:
    path = tmp_path / name
    path.write_bytes(content())
    with running(work_root=tmp_path) as url:
        upload(page, url, path)
        message = page.inner_text("#error-message")
        assert expected in message and name in message
        assert page.title().startswith("出错了")
        assert "Traceback" not in page.content()


def test_the_format_list_shows_each_formats_whole_name(page: Any, tmp_path: Path) -> None:
    with running(work_root=tmp_path) as url:
        page.goto(url)
        for select in ("#pack", "#tpack"):
            chosen = page.locator(f"{select} option:checked").inner_text()
            assert "〔" in chosen or select == "#tpack"
            # the closed list is wide enough for its chosen name (not cut at "办函〔20")
            fits = page.eval_on_selector(select, """s => {
                const c = document.createElement('canvas').getContext('2d');
                c.font = getComputedStyle(s).font;
                return c.measureText(s.options[s.selectedIndex].text).width + 30 <= s.clientWidth;
            }""")
            assert fits, (select, chosen)
