"""The ``docx-report`` command: a thin layer over the library.

Each command parses its options, makes one library call and prints the result. Commands are
grouped by feature in the modules of this package; each module has ``register(main)``.
"""

from __future__ import annotations

import click

from docx_report import __version__
from docx_report.cli import batch, build, importing, pack, pdf, serve, template
from docx_report.cli._common import ReportGroup, tolerant_output


@click.group("docx-report", cls=ReportGroup,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="docx-report", help="显示版本并退出",
                      message="%(prog)s %(version)s")
def main() -> None:
    """把填好的 Excel 工作簿生成正式的 Word 报告（报告格式见 docx-report packs）。

    \b
    docx-report init 报告.xlsx --agency 某某局 --year 2024
    docx-report check 报告.xlsx
    docx-report build 报告.xlsx --pdf
    """
    tolerant_output()


for _module in (build, importing, template, pack, pdf, batch, serve):
    _module.register(main)
