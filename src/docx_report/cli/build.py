"""The clerk's commands: packs, init, check, build, context."""

from __future__ import annotations

import json
from pathlib import Path

import click

from docx_report import report
from docx_report.cli._common import (
    EXIT_PROBLEMS,
    ReportCommand,
    echo_problems,
    handle_errors,
    pack_option,
)
from docx_report.pack import builtin_packs, load_pack

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, path_type=Path)


@click.command(cls=ReportCommand)
@handle_errors
def packs() -> None:
    """列出内置的报告格式（pack）。

    \b
    docx-report packs
    """
    for name in builtin_packs():
        pack = load_pack(name)
        low, high = pack.years
        years = f"{low}年度起" if high >= 9999 else f"{low}–{high}年度"
        click.echo(f"{name}\t{pack.title}\t{pack.basis}\t{years}")


@click.command(cls=ReportCommand)
@click.argument("out", type=_OUT)
@pack_option("报告格式：内置格式的名称（docx-report packs 列出全部）或 pack 文件夹",
             default=report.DEFAULT_PACK, strict=False)
@click.option("--agency", default="", help="预先填入的机关名称")
@click.option("--year", type=click.IntRange(1900, 2100), default=None, help="预先填入的年度")
@click.option("--template", type=_FILE, default=None,
              help="不用内置格式：按这个 Word 模板里的变量生成空白工作簿")
@click.option("--previous", type=_FILE, default=None,
              help="上一年度的工作簿或已发布的报告（.docx/.html/.pdf）：预填上年结转等数字和小标题")
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@handle_errors
def init(out: Path, pack_name: str, agency: str, year: int | None, template: Path | None,
         previous: Path | None, force: bool) -> None:
    """生成待填写的空白工作簿（每个报告章节一个工作表）。

    \b
    加 --previous 时，按上年的工作簿或已发布的报告预填：本年“上年结转”（上年“结转下年度”）、
    2019 年格式的“上一年项目数量”、“现行有效件数”的基数、机关名称、年度和上年的小标题。

    \b
    docx-report init 2024年报.xlsx --agency 某某市某某局 --year 2024
    docx-report init 2024年报.xlsx --previous 2023年报.pdf
    docx-report init 旧格式.xlsx --pack gov-disclosure-2019
    docx-report init 月报.xlsx --pack ./我的格式
    docx-report init 清单.xlsx --template 我的模板.docx
    """
    if template is not None:
        from docx_report import generic

        generic.init_from_template(template, out, force=force)
        click.echo(f"已生成空白工作簿：{out}（按模板 {template.name} 的字段）")
        return
    pack = report.init_workbook(out, pack=pack_name, agency=agency, year=year, force=force,
                                previous=previous)
    click.echo(f"已生成空白工作簿：{out}（{pack.title}）")
    if previous is not None:
        click.echo(f"已按上年报告 {previous} 预填结转的数字和小标题，请核对")
    click.echo(f"填写黄色单元格后，上传到主管部门的报告网页，或运行：docx-report build {out}")


_PACK = pack_option("按指定的报告格式读取：内置格式的名称或 pack 文件夹"
                    "（默认：工作簿记录的格式）")


@click.command(cls=ReportCommand)
@click.argument("workbook", type=_FILE)
@click.option("--previous", type=_FILE, default=None,
              help="上一年度的工作簿或已发布的报告（.docx/.html/.pdf），用于跨年度核对")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出（供其他程序使用）")
@_PACK
@handle_errors
def check(workbook: Path, previous: Path | None, as_json: bool, pack_name: str | None) -> None:
    """检查填好的工作簿：一次列出全部问题，并指明工作表和单元格。

    \b
    也可直接检查已发布的报告（.docx、.html/.htm、文字版 PDF）：问题按表格、行和列指明。
    没有错误时退出码为 0（警告照常显示），有错误时为 1。

    \b
    docx-report check 2024年报.xlsx
    docx-report check 2024年报.xlsx --previous 2023年报.xlsx --json
    docx-report check 某局2024年报告.pdf --previous 某局2023年报告.docx
    """
    checked = report.check_workbook(workbook, previous=previous, pack=pack_name)
    if as_json:
        click.echo(json.dumps({
            "file": str(workbook), "pack": checked.data.pack.name,
            "errors": len(checked.errors), "warnings": len(checked.warnings),
            "problems": [p.as_dict() for p in checked.problems],
        }, ensure_ascii=False, indent=2))
    else:
        echo_problems(checked.problems)
        n_err, n_warn = len(checked.errors), len(checked.warnings)
        if n_err:
            click.echo(f"{workbook}：{n_err} 处错误，{n_warn} 处警告；改正错误后才能生成报告",
                       err=True)
        else:
            click.echo(f"{workbook}：没有错误" + (f"，{n_warn} 处警告" if n_warn else ""))
    if checked.errors:
        raise SystemExit(EXIT_PROBLEMS)


@click.command(cls=ReportCommand)
@click.argument("workbook", type=_FILE)
@click.option("-o", "--output", "out", type=_OUT, default=None,
              help="输出的 .docx（默认：工作簿旁边，以机关名称和年度命名）")
@click.option("--template", type=_FILE, default=None, help="使用修改过的 Word 模板")
@click.option("--previous", type=_FILE, default=None,
              help="上一年度的工作簿或已发布的报告（.docx/.html/.pdf），用于跨年度核对")
@click.option("--pdf", "make_pdf", is_flag=True, help="同时生成 PDF 归档件（PDF/A-2b）")
@click.option("--plain-pdf", is_flag=True, help="生成普通 PDF 而不是 PDF/A")
@click.option("--html", "make_html", is_flag=True,
              help="同时生成网页版（.html，可直接发布或打印，表格保留合并单元格）")
@click.option("--html-fragment", is_flag=True,
              help="同时生成可粘贴到网站编辑器的 HTML 片段（.fragment.html）")
@_PACK
@handle_errors
def build(workbook: Path, out: Path | None, template: Path | None, previous: Path | None,
          make_pdf: bool, plain_pdf: bool, make_html: bool, html_fragment: bool,
          pack_name: str | None) -> None:
    """检查工作簿并生成 Word 报告（加 --pdf 同时生成 PDF 归档件）。

    有任何错误时不写出任何文件（已有的报告保持不变），退出码为 1。

    \b
    docx-report build 2024年报.xlsx
    docx-report build 2024年报.xlsx --pdf -o 报告/2024年报.docx
    docx-report build 数据.xlsx --template 我的模板.docx
    docx-report build 2024年报.xlsx --html --html-fragment
    """
    pages: dict[str, str] = {}
    if make_html or html_fragment:  # checked first: with any error nothing at all is written
        from docx_report.html import workbook_html

        pages = workbook_html(workbook, previous=previous, pack=pack_name, page=make_html,
                              fragment=html_fragment)
    built = report.build_report(workbook, out=out, template=template, previous=previous,
                                pack=pack_name, make_pdf=make_pdf or plain_pdf,
                                pdfa=not plain_pdf)
    echo_problems(built.warnings)
    click.echo(f"已生成报告：{built.docx}")
    if built.pdf:
        click.echo(f"已生成 PDF：{built.pdf}")
    if pages:
        from docx_report.html import write_pages

        for path in write_pages(pages, built.docx):
            click.echo(f"已生成网页版：{path}")


@click.command(cls=ReportCommand)
@click.argument("workbook", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出")
@_PACK
@handle_errors
def context(workbook: Path, as_json: bool, pack_name: str | None) -> None:
    """显示模板能看到的全部数据（供编写模板的人参考）。

    \b
    docx-report context 2024年报.xlsx --json
    """
    data = report.read_context(workbook, pack=pack_name)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    for line in _flatten(data):
        click.echo(line)


def _flatten(value: object, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [line for k, v in value.items()
                for line in _flatten(v, f"{prefix}.{k}" if prefix else str(k))]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [line for i, v in enumerate(value) for line in _flatten(v, f"{prefix}[{i}]")]
    return [f"{prefix} = {json.dumps(value, ensure_ascii=False, default=str)}"]


def register(main: click.Group) -> None:
    for command in (packs, init, check, build, context):
        main.add_command(command)
