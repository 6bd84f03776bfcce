"""One error hierarchy for the whole library, and the Problem record.

The library never prints and never exits: it raises a ``ReportError`` (a whole run cannot go on)
or returns ``Problem`` records (one located mistake among many). The CLI turns both into
messages on stderr and an exit code in one place (``cli._common``).

Messages are Chinese, addressed to the clerk or office that must act on them, and carry no
"Error:" prefix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Level(StrEnum):
    """How serious a problem is: errors stop a build, warnings are printed."""

    ERROR = "error"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return "错误" if self is Level.ERROR else "警告"


@dataclass(frozen=True)
class Problem:
    """One located mistake: where it is (file, sheet, cell) and what is wrong."""

    level: Level
    message: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    rule: str = ""

    @property
    def location(self) -> str:
        """``Sheet!J28`` style location, or the sheet alone, or ''."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def format(self, *, with_file: bool = False) -> str:
        parts = [self.level.label]
        if with_file and self.file:
            parts.append(self.file)
        if self.location:
            parts.append(self.location)
        parts.append(self.message)
        return "  ".join(parts)

    def as_dict(self) -> dict[str, str]:
        return {
            "level": self.level.value,
            "file": self.file,
            "sheet": self.sheet,
            "cell": self.cell,
            "rule": self.rule,
            "message": self.message,
        }


WRITE_FAILED = "写入"  # rule of a problem writing an output (disk full …): not the data's fault


def error(message: str, *, sheet: str = "", cell: str = "", rule: str = "") -> Problem:
    return Problem(Level.ERROR, message, sheet=sheet, cell=cell, rule=rule)


def warning(message: str, *, sheet: str = "", cell: str = "", rule: str = "") -> Problem:
    return Problem(Level.WARNING, message, sheet=sheet, cell=cell, rule=rule)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Errors first, then in the order they were found (stable)."""
    return sorted(problems, key=lambda p: p.level is not Level.ERROR)


def errors_in(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.level is Level.ERROR]


class HasProblems:
    """Mixin for records that carry ``problems``: their errors and warnings."""

    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return errors_in(self.problems)

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level is Level.WARNING]


class ReportError(Exception):
    """Base of every error the library raises; its message is shown to the user as is."""


class PackError(ReportError):
    """Raised when a pack (pack.toml and its template) is missing or malformed."""


class InputError(ReportError):
    """Raised when an input file cannot be read at all (not a workbook, damaged, locked)."""

    def __init__(self, message: str, *, file: Path | str | None = None) -> None:
        self.file = str(file) if file is not None else ""
        super().__init__(f"{self.file}：{message}" if self.file else message)


class PreviousUnreadable(InputError):
    """Raised when last year's workbook or published report (``--previous``) cannot be read:
    ``cause`` is the error reading it; ``what`` names it (上年工作簿 or 上年报告) and ``reason``
    says why without its path, for a caller (the web page) that names it in its own words."""

    def __init__(self, what: str, cause: InputError) -> None:
        text = str(cause)
        self.what = what
        self.reason = text.removeprefix(f"{cause.file}：") if cause.file else text
        super().__init__(f"{what}（--previous）无法读取：{text}")


class TemplateError(ReportError):
    """Raised when a Word template cannot be parsed or rendered safely."""


class ConversionError(ReportError):
    """Raised when LibreOffice is missing or a PDF conversion fails."""


class OutputError(ReportError):
    """Raised when an output file cannot be written (exists, no permission, bad name)."""


@dataclass
class ProblemsFound(ReportError):
    """Raised when checks found errors: nothing was written. Carries every problem found."""

    problems: list[Problem] = field(default_factory=list)
    file: str = ""

    def __post_init__(self) -> None:
        n = sum(1 for p in self.problems if p.level is Level.ERROR)
        text = (f"{n} 处错误，{len(self.problems) - n} 处警告；"
                "改正错误后才能生成报告（未写出任何文件）")
        super().__init__(f"{self.file}：{text}" if self.file else text)
