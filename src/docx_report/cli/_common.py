"""What every command shares: turning library errors into messages and exit codes.

Exit codes: 0 ok, 1 the data, template or environment has problems, 2 usage (click's own).
Errors go to stderr. This is the only place that decides an exit code.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import io
import os
import re
import signal
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

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
        previous = _terminate_like_ctrl_c()
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
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                BrokenPipeError):
            raise  # click's own handling: usage errors, --help, a closed pipe (| head)
        except Exception as exc:  # the last line of defence: never show a traceback
            if os.environ.get("DOCX_REPORT_DEBUG"):
                raise
            click.echo(
                f"内部错误（{type(exc).__name__}: {exc}）。请把此信息和输入文件报告给维护者；"
                "设置环境变量 DOCX_REPORT_DEBUG=1 可看到详细信息。",
                err=True,
            )
            sys.exit(EXIT_PROBLEMS)
        finally:
            if previous is not None:  # a command run inside another program (tests)
                with contextlib.suppress(ValueError, OSError):
                    signal.signal(signal.SIGTERM, previous)

    return wrapper


_SWALLOWING = ("_releaseLock", "_acquireLock", "__del__")  # hooks whose exceptions are ignored


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM as Ctrl-C. Inside a hook the interpreter runs ignoring exceptions (logging's
    at-fork lock hooks, a finalizer) it would be lost: then it is delivered again shortly."""
    code = getattr(frame, "f_code", None)
    if code is not None and (code.co_name in _SWALLOWING
                             or code.co_filename.endswith(("weakref.py", "_weakrefset.py"))):
        import threading

        threading.Timer(0.05, os.kill, (os.getpid(), signum)).start()
        return
    raise KeyboardInterrupt


def _terminate_like_ctrl_c() -> Any:
    """SIGTERM (kill, a closed session, a service stopping) cleans up like Ctrl-C: staging
    folders and temporary files go, nothing half-written stays. The handler it replaces."""
    with contextlib.suppress(ValueError, OSError, AttributeError):  # not the main thread
        return signal.signal(signal.SIGTERM, _terminate)
    return None


# ---------------------------------------------------------------------------------------------
# --pack NAME|FOLDER, the same everywhere


class PackParam(click.ParamType):  # type: ignore[type-arg]  # generic from click 8.2
    """A built-in pack's name or a pack folder. A folder is made absolute here, at the edge; a
    name that is no built-in pack is a usage mistake when ``strict``. The pack itself is loaded
    (and validated) by the command, so that a broken pack is a problem (exit 1), not a usage
    mistake."""

    name = "NAME|FOLDER"

    def __init__(self, *, strict: bool = True, resolve: bool = True) -> None:
        self.strict = strict
        self.resolve = resolve  # False: a folder as typed (messages show what the user wrote)

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        from docx_report.pack import builtin_packs, is_folder

        text = str(value)
        if is_folder(text):
            if not Path(text).exists():
                self.fail(f"找不到报告格式（pack）文件夹「{text}」", param, ctx)
            return str(Path(text).resolve()) if self.resolve else text
        if self.strict and text not in builtin_packs():
            self.fail(f"「{text}」不是内置的报告格式（{'、'.join(builtin_packs())}），"
                      "也不是 pack 文件夹（文件夹请写路径，如 ./我的格式）", param, ctx)
        return text


def pack_option(help_text: str, *, default: str | None = None,
                strict: bool = True) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """The ``--pack NAME|FOLDER`` option."""
    return click.option("--pack", "pack_name", type=PackParam(strict=strict), default=default,
                        show_default=default is not None, help=help_text)


# ---------------------------------------------------------------------------------------------
# Click in Chinese: the clerk reads usage errors and help too, not only the library's messages.

_HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数"}
_TRANSLATIONS: tuple[tuple[str, str | Callable[[re.Match[str]], str]], ...] = (
    (r"No such command '(.+?)'\.", r"没有命令「\1」"),
    (r"No such option: (\S+)", r"没有选项 \1"),
    (r"No such option '(.+?)'\.", r"没有选项 \1"),
    (r" ?Did you mean '?([^'?]+)'?\?", r"，是否应为 \1？"),
    (r"\(Possible options: (.+)\)", r"（可能是：\1）"),
    (r"Missing argument '(.+?)'\.", r"缺少参数 \1"),
    (r"Missing option '(.+?)'\.", r"缺少选项 \1"),
    (r"Option '(.+?)' requires an argument\.", r"选项 \1 需要一个值"),
    (r"Got unexpected extra arguments? \((.+)\)", r"多余的参数：\1"),
    (r"Invalid value for ((?:'[^']*'(?: / )?)+): ",
     lambda m: m.group(1).replace("'", "") + " 的值无效："),
    (r"(?:File|Path) '(.+?)' does not exist\.", r"文件「\1」不存在"),
    (r"File '(.+?)' is a directory\.", r"「\1」是文件夹，不是文件"),
    (r"Directory '(.+?)' is a file\.", r"「\1」是文件，不是文件夹"),
    (r"(?:File|Path) '(.+?)' is not readable\.", r"文件「\1」没有读取权限"),
    (r"'(.+?)' is not a valid integer(?: range)?\.", r"「\1」不是整数"),
    (r"(\S+) is not in the range (\S+)\.", r"\1 超出范围 \2"),
    (r"'(.+?)' is not one of (.+)\.", r"「\1」不是可选值之一（\2）"),
    (r"'(.+?)' is not (?:a valid )?one of (.+)\.", r"「\1」不是可选值之一（\2）"),
)


def translate(message: str) -> str:
    """Click's English usage messages in Chinese (an unknown one is shown as it is)."""
    for pattern, replacement in _TRANSLATIONS:
        message = re.sub(pattern, replacement, message)
    return message


class _Formatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args.replace("[OPTIONS]", "[选项]"),
                            "用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{_HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Iterable[tuple[str, str]], col_max: int = 30,
                 col_spacing: int = 2) -> None:
        """Option lists, with click's bracketed notes ([default: …], [required]) in Chinese."""
        notes: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
            (r"\[default: ", "[默认："),
            (r"; required\]", "；必填]"),
            (r"\[required\]", "[必填]"),
            (r"(\[[^\]]*); ", r"\1；"),
        ]
        translated = []
        for term, text in rows:
            for pattern, replacement in notes:
                text = re.sub(pattern, replacement, text)
            translated.append((term, text))
        super().write_dl(translated, col_max, col_spacing)


class _Context(click.Context):
    formatter_class = _Formatter


class ReportCommand(click.Command):
    """A command whose help and usage errors are in Chinese."""

    context_class = _Context

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = "显示帮助并退出"
        return option


def tolerant_output() -> None:
    """Print any file name: one that is not UTF-8 (a GBK zip unpacked on Linux) reaches Python
    as lone surrogates, which a strict stream refuses with a traceback. A UTF-8 stream writes
    the name's own bytes back (as ``ls`` shows it), any other escapes what it cannot encode."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            utf8 = codecs.lookup(stream.encoding).name == "utf-8"
            stream.reconfigure(errors="surrogateescape" if utf8 else "backslashreplace")


class ReportGroup(ReportCommand, click.Group):
    """A group of ``ReportCommand``s; as the top-level command it shows usage errors in Chinese
    (exit 2) instead of click's English ones."""

    command_class = ReportCommand
    group_class = type

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as exc:
            if exc.ctx is not None:
                click.echo(exc.ctx.get_usage(), err=True)
            click.echo(f"错误：{translate(exc.format_message())}", err=True)
            if exc.ctx is not None:
                click.echo(f"运行 {exc.ctx.command_path} --help 查看帮助。", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as exc:
            click.echo(f"错误：{translate(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("已中断。", err=True)
            sys.exit(EXIT_PROBLEMS)
        sys.exit(result if isinstance(result, int) else EXIT_OK)
