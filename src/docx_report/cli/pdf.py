"""Commands of the PDF feature: ``pdf`` (filing copies of existing reports) and ``doctor``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from docx_report.cli._common import EXIT_PROBLEMS, ReportCommand, handle_errors


@click.command("pdf", cls=ReportCommand)
@click.argument(
    "reports", nargs=-1, required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option(
    "-o", "--output-dir", "out_dir", type=click.Path(file_okay=False, path_type=Path),
    help="PDF 写到此目录（默认：写在各 .docx 旁边）。",
)
@click.option("--plain", is_flag=True, help="生成普通 PDF，而不是 PDF/A-2b 存档格式。")
@click.option(
    "-j", "--jobs", type=click.IntRange(1, 16), default=None,
    help="同时运行的 LibreOffice 进程数（默认：按 CPU 核数，每个进程至少 4 份报告）。",
)
@handle_errors
def pdf_command(reports: tuple[Path, ...], out_dir: Path | None, plain: bool,
                jobs: int | None) -> None:
    """把已有的报告（.docx）转为 PDF/A-2b 归档件，嵌入全部字体。

    每个 PDF 与报告同名。任何一个转换失败时逐个列出，退出码为 1。

    \b
    docx-report pdf 2024年报告.docx
    docx-report pdf 报告/*.docx -o 存档/ --jobs 2
    """
    from docx_report import pdf as pdf_lib  # (here: other commands need not import it)

    results = pdf_lib.convert(reports, out_dir, pdfa=not plain, jobs=jobs)
    failed = [r for r in results if not r.ok]
    for result in results:
        if result.pdf is not None:
            click.echo(str(result.pdf))
    for result in failed:
        click.echo(result.error, err=True)
    if failed:
        click.echo(f"{len(failed)} 个文件转换失败（共 {len(results)} 个）。", err=True)
        sys.exit(EXIT_PROBLEMS)


@click.command("doctor", cls=ReportCommand)
@handle_errors
def doctor_command() -> None:
    """检查生成 PDF 所需的环境：LibreOffice，以及每种公文字体对应的本机字体。

    缺少 LibreOffice 或某种字体没有同风格的替代字体时，退出码为 1。

    \b
    docx-report doctor
    """
    from docx_report.pdf_doctor import doctor

    lines = doctor()
    for line in lines:
        click.echo(f"{'正常' if line.ok else '缺失'}  {line.what}：{line.detail}")
    missing = [line.what for line in lines if not line.ok]
    if missing:
        click.echo(f"缺少生成 PDF 所需的：{'、'.join(missing)}。", err=True)
        sys.exit(EXIT_PROBLEMS)


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    main.add_command(pdf_command)
    main.add_command(doctor_command)
