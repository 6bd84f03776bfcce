"""The supervising office's command: ``batch`` (every agency's workbook at once)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from docx_report.cli._common import EXIT_PROBLEMS, ReportCommand, handle_errors, pack_option

if TYPE_CHECKING:  # the batch machinery (openpyxl for the summary) loads when a batch runs
    from docx_report.batch_store import Entry, Outcomes


def _label(entry: Entry, outcomes: Outcomes) -> str:
    """A workbook's status as a line says it (its problems read back only if unreadable)."""
    from docx_report.batch import Status

    if entry.status is Status.BUILT:
        warnings = entry.warning_count
        return "通过" + (f"（{warnings} 处警告）" if warnings else "")
    if entry.status is Status.UNREADABLE:
        problems = outcomes.problems(entry)
        return "无法读取：" + (problems[0].message if problems else "")
    return f"{entry.status.value}（{entry.error_count} 处错误）"


class _Lines:
    """Not a terminal (a log, a pipe): one quiet line per workbook, with its final status.

    The lines come once every workbook is checked: a workbook that passed may still turn out
    to be one of two for the same agency and year (重复), known only when all are done.
    """

    def __init__(self) -> None:
        self.shown: list[str] = []  # each workbook's line, as shown (the same texts shared)

    def start(self, total: int) -> None:
        click.echo(f"检查 {total} 个工作簿…", err=True)

    def advance(self, outcome: Entry) -> None:
        pass

    def settled(self, outcomes: Outcomes) -> None:
        said: dict[str, str] = {}
        entries = outcomes.entries
        for n, entry in enumerate(entries, start=1):
            agency = f"（{entry.agency}）" if entry.agency else ""
            label = _label(entry, outcomes)
            self.shown.append(said.setdefault(label, label))
            click.echo(f"[{n}/{len(entries)}] {entry.file}{agency}：{label}")

    def to_list(self, outcomes: Outcomes) -> list[Entry]:
        """When the batch is done: those whose status changed since shown (a report that could
        not be moved into OUTDIR)."""
        return [e for e, shown in zip(outcomes.entries, self.shown, strict=False)
                if shown != _label(e, outcomes)]

    def phase(self, message: str) -> None:
        click.echo(f"{message}…", err=True)

    def close(self) -> None:
        pass


class _Bar(_Lines):
    """A terminal: a progress bar on stderr."""

    def __init__(self) -> None:
        super().__init__()
        self.bar: Any = None

    def start(self, total: int) -> None:
        self.bar = click.progressbar(length=total, label="检查并生成报告", file=sys.stderr,
                                     show_pos=True)
        self.bar.__enter__()

    def advance(self, outcome: Entry) -> None:
        self.bar.update(1)

    def settled(self, outcomes: Outcomes) -> None:
        pass  # the bar shows no names: what needs attention is listed when the batch is done

    def to_list(self, outcomes: Outcomes) -> list[Entry]:
        from docx_report.batch import Status

        return [e for e in outcomes.entries if e.status is not Status.BUILT]

    def phase(self, message: str) -> None:
        self.close()
        super().phase(message)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("batch", cls=ReportCommand)
@click.argument("inputs", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output-dir", "outdir", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="输出目录：各机关的报告、汇总（汇总/）和情况汇总表 summary.xlsx")
@click.option("-j", "--jobs", type=click.IntRange(1, 256), default=None,
              help="并行的进程数（默认：CPU 核数）")
@click.option("--pdf", "make_pdf", is_flag=True, help="同时生成 PDF 归档件（PDF/A-2b）")
@click.option("--plain-pdf", is_flag=True, help="生成普通 PDF 而不是 PDF/A")
@click.option("--previous", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None,
              help="上一年度工作簿或已发布报告所在的文件夹：按机关名称对应，做跨年度核对")
@click.option("--name", default="",
              help="汇总报告的机关名称，如“某某区”（生成“某某区（汇总，共N个机关）”）")
@pack_option("按指定的报告格式读取每个工作簿：内置格式的名称或 pack 文件夹"
             "（默认：各工作簿记录的格式）")
@handle_errors
def batch(inputs: tuple[Path, ...], outdir: Path, jobs: int | None, make_pdf: bool,
          plain_pdf: bool, previous: Path | None, name: str, pack_name: str | None) -> None:
    """批量检查并生成各机关的报告，另写出汇总报告和 summary.xlsx。

    \b
    INPUT 为工作簿或存放工作簿的文件夹（含子文件夹；跳过 ~$ 临时文件和隐藏文件）。
    也可以是各机关已发布的报告（.docx、.html/.htm、文字版 PDF），与工作簿混在一起也可。
    某个工作簿有错误不影响其他工作簿：summary.xlsx 列出每个工作簿的状态和关键数字，
    以及每个问题所在的工作表和单元格。全部生成时退出码为 0，任何工作簿有错误时为 1。

    \b
    再次输出到同一目录时，上次运行写出而本次没有再写出的报告、PDF 和汇总会被删除
    （依据目录中的 .docx-report-batch.json），目录中的其他文件不受影响；
    中途按 Ctrl-C，目录保持原样。

    \b
    docx-report batch 收到的工作簿/ -o 2024年报告/ --name 某某区
    docx-report batch 收到的工作簿/ -o 2024年报告/ --pdf --previous 2023年工作簿/ --jobs 4
    docx-report batch 各机关已发布的报告/ -o 2024年审核/
    """
    from docx_report import batch as batch_lib
    from docx_report.batch import Status

    if pack_name is not None:  # resolved once, here: a broken pack stops before any work
        from docx_report.engine import default

        pack_name = default().pack(pack_name).source
    progress = _Bar() if sys.stderr.isatty() else _Lines()
    try:
        result = batch_lib.run_batch(list(inputs), outdir, jobs=jobs,
                                     make_pdf=make_pdf or plain_pdf, pdfa=not plain_pdf,
                                     previous=previous, name=name, progress=progress,
                                     pack=pack_name)
    finally:
        progress.close()
    for entry in progress.to_list(result.outcomes):
        click.echo(f"{entry.file}：{_label(entry, result.outcomes)}", err=True)
    built, errors = result.count(Status.BUILT), result.count(Status.ERRORS)
    unreadable, duplicates = result.count(Status.UNREADABLE), result.count(Status.DUPLICATE)
    click.echo(f"共 {len(result.outcomes)} 个工作簿：已生成报告 {built} 份，有错误 {errors} 个，"
               f"无法读取 {unreadable} 个，重复 {duplicates} 个")
    for aggregate in result.aggregates:
        made = aggregate.docx or aggregate.xlsx or aggregate.agency
        click.echo(f"汇总：{made}（{aggregate.pack}，{aggregate.year}年度，"
                   f"共 {len(aggregate.members)} 份）")
    click.echo(f"情况汇总表：{result.summary}")
    if result.stale:
        click.echo("上次运行写出、本次不再需要的以下文件未能删除（是否正在打开？），"
                   "请手工删除：\n  " + "\n  ".join(map(str, result.stale)), err=True)
    if not result.ok:
        failed = sum(1 for o in result.outcomes.entries
                     if o.status is not Status.BUILT or o.error_count)
        failed += sum(1 for a in result.aggregates if a.status != Status.BUILT.value)
        click.echo(f"有 {failed} 项未完成，详见 {result.summary} 的「问题清单」工作表"
                   "（可按文件筛选后退回各机关）", err=True)
        sys.exit(EXIT_PROBLEMS)


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
    main.add_command(batch)
