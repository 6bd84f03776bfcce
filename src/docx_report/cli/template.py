"""Template commands: export a pack's Word template to restyle, check a restyled one."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from docx_report.cli._common import (
    EXIT_PROBLEMS,
    ReportGroup,
    echo_problems,
    handle_errors,
    pack_option,
)
from docx_report.errors import Level

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_OUT = click.Path(dir_okay=False, path_type=Path)


@click.group(cls=ReportGroup)
def template() -> None:
    """Word 模板：导出内置模板以便修改样式，检查修改后的模板。

    \b
    docx-report template export 我的模板.docx
    docx-report template check 我的模板.docx
    """


@template.command("export")
@click.argument("out", type=_OUT)
@pack_option("报告格式：内置格式的名称或 pack 文件夹（默认：最新的内置格式）", strict=False)
@click.option("--force", is_flag=True, help="覆盖已存在的文件")
@handle_errors
def export(out: Path, pack_name: str | None, force: bool) -> None:
    """导出报告格式的 Word 模板，供在 Word 中修改样式（字体、版头、页眉等）。

    \b
    docx-report template export 我的模板.docx
    docx-report template export 旧格式模板.docx --pack gov-disclosure-2019
    """
    from docx_report.pack import load_pack
    from docx_report.report import DEFAULT_PACK
    from docx_report.template_lint import export_template

    export_template(load_pack(pack_name or DEFAULT_PACK).template_path, out, force=force)
    click.echo(f"已导出模板：{out}")
    click.echo(f"在 Word 中修改后运行：docx-report template check {out}")


@template.command("check")
@click.argument("docx", type=_FILE)
@pack_option("按这个报告格式（名称或 pack 文件夹）的示例数据检查（默认：最新的内置格式）",
             strict=False)
@click.option("--workbook", type=_FILE, default=None,
              help="按这个工作簿的数据检查（任意模板配通用工作簿时使用）")
@handle_errors
def check(docx: Path, pack_name: str | None, workbook: Path | None) -> None:
    """检查 Word 模板：标签损坏、未知字段、不安全的代码，并试渲染一次。

    \b
    每个问题都指明所在的段落或表格单元格（包括页眉、页脚）。
    没有问题时退出码为 0，有任何问题（错误或警告）时为 1。

    \b
    docx-report template check 我的模板.docx
    docx-report template check 我的模板.docx --pack gov-disclosure-2019
    docx-report template check 清单模板.docx --workbook 清单.xlsx
    """
    from docx_report.pack import load_pack
    from docx_report.report import DEFAULT_PACK
    from docx_report.template_lint import lint_template

    pack = None
    if workbook is not None:
        from docx_report.report import template_data

        known, optional = template_data(workbook, pack=pack_name)
    else:
        from docx_report.context import example_context

        pack = load_pack(pack_name or DEFAULT_PACK)
        known = example_context(pack)
        optional = {f.key for f in pack.fields if not f.in_report}
    problems = lint_template(docx, known, optional=optional, pack=pack)
    errors = sum(1 for p in problems if p.level is Level.ERROR)
    echo_problems(problems)
    if not problems:
        click.echo(f"模板检查通过：{docx}")
        return
    click.echo(f"{docx}：发现 {errors} 处错误、{len(problems) - errors} 处警告", err=True)
    sys.exit(EXIT_PROBLEMS)


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    main.add_command(template)
