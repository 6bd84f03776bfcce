"""What every command shares: turning library errors into messages and exit codes.

Exit codes: 0 ok, 1 the data, template or environment has problems, 2 usage (click's own).
Errors go to stderr. This is the only place that decides an exit code.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

import click

from docx_report.errors import Problem, ProblemsFound, ReportError, sort_problems

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


def echo_problems(problems: Iterable[Problem], *, with_file: bool = False) -> None:
    """Print problems to stderr, one a line, errors first."""
    for p in sort_problems(problems):
        click.echo(p.format(with_file=with_file), err=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the library's errors into a Chinese message on stderr and exit code 1.

    Anything else that escapes is a bug; it still gets a message and not a traceback
    (set DOCX_REPORT_DEBUG=1 to see the traceback).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ProblemsFound as exc:
            echo_problems(exc.problems)
            click.echo(str(exc), err=True)
            sys.exit(EXIT_PROBLEMS)
        except ReportError as exc:
            click.echo(str(exc), err=True)
            sys.exit(EXIT_PROBLEMS)
        except KeyboardInterrupt:
            click.echo("已中断，未写出不完整的文件。", err=True)
            sys.exit(130)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:  # the last line of defence: never show a traceback
            import os

            if os.environ.get("DOCX_REPORT_DEBUG"):
                raise
            click.echo(
                f"内部错误（{type(exc).__name__}: {exc}）。请把此信息和输入文件报告给维护者；"
                "设置环境变量 DOCX_REPORT_DEBUG=1 可看到详细信息。",
                err=True,
            )
            sys.exit(EXIT_PROBLEMS)

    return wrapper
