"""``import``: a published report (.docx, .html, .pdf) → a filled pack workbook."""

from __future__ import annotations

from pathlib import Path

import click

from docx_report.cli._common import (
    EXIT_PROBLEMS,
    ReportCommand,
    echo_problems,
    handle_errors,
    pack_option,
)
from docx_report.errors import errors_in

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("import", cls=ReportCommand)
@click.argument("report", type=_FILE)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="写出的工作簿（.xlsx）")
@pack_option("按指定的报告格式读取：内置格式的名称或 pack 文件夹"
             "（默认：按表格的标签从内置格式中识别）")
@click.option("--force", is_flag=True, help="覆盖已存在的工作簿")
@handle_errors
def import_report(report: Path, out: Path, pack_name: str | None, force: bool) -> None:
    """读取已发布的报告（Word .docx、网页 .html/.htm、文字版 PDF），写成填好的工作簿。

    \b
    表格按标签查找，不按位置；读不出的数字（空白、“—”“/”“无”、一格两个数）逐一列出
    （表格、行、列，PDF 还有页码），工作簿照常写出，这些单元格留空待填。有读不出的数字时
    退出码为 1。读取 PDF 需要可选组件：pip install "docx-report[import]"。

    \b
    docx-report import 2023年报.docx -o 2023年报.xlsx
    docx-report import 年报网页.html -o 年报.xlsx --pack gov-disclosure-2019
    docx-report check 2023年报.pdf          # 也可直接检查已发布的报告
    """
    from docx_report.importers import import_report as run

    imported = run(report, out, pack=pack_name, force=force)
    pack = imported.data.pack
    echo_problems(imported.problems)
    click.echo(f"已写出工作簿：{out}（{pack.title}）")
    if imported.kept_totals:
        click.echo(f"报告中有 {len(imported.kept_totals)} 个总计与各项之和不符，已按原数保留；"
                   f"运行 docx-report check {out} 查看", err=True)
    unread = errors_in(imported.problems)
    if unread:
        click.echo(f"{report}：{len(unread)} 处无法读取，对应单元格已留空，请在工作簿中补填",
                   err=True)
        raise SystemExit(EXIT_PROBLEMS)
    click.echo(f"核对后运行：docx-report check {out}")


def register(main: click.Group) -> None:
    main.add_command(import_report)
