"""``pack check`` and ``pack new``: a whole pack folder checked at once, and a new one started.

``check_pack`` reports every problem of pack.toml (``pack_build``: keys, types, kinds, cells,
totals, rules, each at its line), then the Word template against the pack: the template lint
with the pack's sample data (unknown fields, fields never shown, broken tags, a trial render)
and every label of every table that the template does not print.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

from docx_report import pack_build
from docx_report.errors import Level, OutputError, PackError, TemplateError
from docx_report.files import os_reason
from docx_report.pack import Pack, TableSection, builtin_packs, load_pack
from docx_report.pack_schema import Locator, PackProblem

_TAGS = re.compile(r"<[^>]+>")
_PARAGRAPH_END = re.compile(r"</w:p>")


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _toml(folder: Path) -> Path:
    if folder.is_file() and folder.suffix.lower() == ".toml":
        return folder
    return folder / "pack.toml"


def check_pack(folder: Path) -> tuple[Pack | None, list[PackProblem]]:
    """The pack (None if it cannot be built) and every problem of it, errors first."""
    toml = _toml(Path(folder))
    try:
        pack = pack_build.build(toml)
    except PackError as exc:
        found = getattr(exc, "problems", None) or [PackProblem("", 0, str(exc))]
        return None, list(found)
    problems: list[PackProblem] = []
    locator = Locator(toml.read_text(encoding="utf-8-sig"))
    template_line = locator.line(("pack", "template"))
    problems += _template_lint(pack, template_line)
    problems += _labels_not_printed(pack, locator)
    return pack, sorted(problems, key=lambda p: p.level is not Level.ERROR)


def _template_lint(pack: Pack, line: int) -> list[PackProblem]:
    from docx_report.context import example_context
    from docx_report.template_lint import lint_template

    optional = {f.key for f in pack.fields if not f.in_report}
    try:
        found = lint_template(pack.template_path, example_context(pack), optional=optional)
    except TemplateError as exc:  # its message may already start with the template's path
        message = str(exc).removeprefix(f"{pack.template_path}：")
        return [PackProblem(str(pack.template_path), 0, message)]
    return [PackProblem(str(pack.template_path), 0, p.message, p.level) for p in found]


def _template_text(pack: Pack) -> str:
    from docx_report.template_parts import read_parts

    try:
        parts = read_parts(pack.template_path)
    except TemplateError:
        return ""
    return "\n".join(_TAGS.sub("", _PARAGRAPH_END.sub("\n", p.xml)) for p in parts)


def _labels_not_printed(pack: Pack, locator: Locator) -> list[PackProblem]:
    """Each table label (row and column headers) the template's text does not contain."""
    text = _norm(_template_text(pack))
    if not text:
        return []
    problems: list[PackProblem] = []
    for index, section in enumerate(pack.sections):
        if not isinstance(section, TableSection):
            continue
        for cell in section.label_cells():
            if cell.text.strip() and _norm(cell.text) not in text:
                line = locator.line(("sections", index, "grid", cell.row))
                problems.append(PackProblem(
                    str(pack.root / "pack.toml"), line,
                    f"表 {section.key} 的标签「{cell.text}」在模板 {pack.template} 中找不到："
                    "报告中的表格不会印出它", Level.WARNING))
    return problems


def new_pack(folder: Path, source: str) -> Pack:
    """Copy a pack (a built-in one by name, or a folder) into a new folder to start from; the
    copy is renamed after its folder so that workbooks tell the two apart."""
    original = load_pack(source)
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise OutputError(f"{folder} 已存在且不是空文件夹；请换一个新文件夹名")
    name = folder.resolve().name
    if name in builtin_packs():
        raise OutputError(f"「{name}」是内置报告格式的名称；新 pack 的文件夹请换一个名字，"
                          "以免工作簿和 --pack 把两者混淆")
    text = (original.root / "pack.toml").read_text(encoding="utf-8-sig")
    pattern = re.compile(r'^(name\s*=\s*)"[^"]*"', re.M)
    # A TOML basic string: JSON's escapes (\\ \" \n \uXXXX) are a subset of TOML's.
    quoted = json.dumps(name, ensure_ascii=False)
    text = pattern.sub(lambda m: f"{m.group(1)}{quoted}", text, count=1)
    created = not folder.exists()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pack.toml").write_text(text, encoding="utf-8")
        (folder / original.template).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original.template_path, folder / original.template)
        return load_pack(folder)
    except OSError as exc:
        _remove(folder, created)
        raise OutputError(f"无法写入 {folder}（{os_reason(exc)}）") from None
    except BaseException:
        _remove(folder, created)
        raise


def _remove(folder: Path, created: bool) -> None:
    """Undo a half-made copy: nothing partial is left behind."""
    if created:
        shutil.rmtree(folder, ignore_errors=True)
    else:  # it was an empty folder: empty it again
        for child in folder.iterdir():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
