"""Pack commands: ``pack check`` a pack folder, ``pack new`` to start one from another."""

from __future__ import annotations

from pathlib import Path

import click

from docx_report.cli._common import PackParam, ReportGroup, handle_errors
from docx_report.errors import PackError


@click.group(cls=ReportGroup)
def pack() -> None:
    """报告格式（pack）：检查一个 pack 文件夹，或从已有的 pack 开始写一个新的。

    \b
    docx-report pack new 我的格式 --from gov-disclosure-2021
    docx-report pack check 我的格式
    """


@pack.command("check")
@click.argument("folder", type=PackParam(resolve=False))
@handle_errors
def check(folder: str) -> None:
    """检查 pack 文件夹：pack.toml 的每一处错误（指明行号），以及 Word 模板。

    \b
    pack.toml：未知或写错的键、类型不对、未知的规则种类、缺少的选项、
    合计和规则引用了不存在的单元格、重复的键、表格宽度不符等，一次全部列出。
    模板：未知字段、没有印出的字段和表格标签、损坏的标签，并试渲染一次。
    没有问题时退出码为 0，有任何问题（错误或警告）时为 1。

    \b
    docx-report pack check 我的格式
    docx-report pack check examples/street-monthly
    docx-report pack check gov-disclosure-2021
    """
    from docx_report.pack import builtin_root, is_folder
    from docx_report.pack_lint import check_pack

    loaded, problems = check_pack(Path(folder) if is_folder(folder) else builtin_root() / folder)
    for problem in problems:
        click.echo(f"{problem.level.label}  {problem}", err=True)
    if not problems and loaded is not None:
        click.echo(f"pack 检查通过：{folder}（{loaded.name}，{loaded.title}）")
        return
    errors = sum(1 for p in problems if p.level.value == "error")
    raise PackError(f"{folder}：发现 {errors} 处错误、{len(problems) - errors} 处警告")


@pack.command("new")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--from", "source", type=PackParam(), default="gov-disclosure-2021",
              show_default=True, help="从哪个报告格式复制：内置格式的名称或 pack 文件夹")
@handle_errors
def new(folder: Path, source: str) -> None:
    """复制一个报告格式（pack.toml 和 template.docx）到新文件夹，作为新 pack 的起点。

    \b
    新 pack 的名称（pack.toml 中的 name）改为文件夹名，工作簿据此区分两者。
    写法见 docs/writing-a-pack.md。

    \b
    docx-report pack new 我的格式 --from gov-disclosure-2021
    """
    from docx_report.pack_lint import new_pack

    made = new_pack(folder, source)
    click.echo(f"已生成 pack：{folder}（{made.name}）")
    click.echo(f"修改 {folder / 'pack.toml'} 和 {folder / made.template} 后运行："
               f"docx-report pack check {folder}")


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    main.add_command(pack)
