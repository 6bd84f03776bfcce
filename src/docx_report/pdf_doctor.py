"""``docx-report doctor``: whether this machine can make the PDF filing copies.

It finds soffice and asks its version, reports how ``confine`` shuts LibreOffice in, and asks
fontconfig (through the shipped ``fonts.conf``, as the conversion does) which face each
official font name gets: a face of the right style, or the package that brings one. Nothing
is converted here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass

from docx_report.confine import confinement
from docx_report.pdf import INSTALL_HINT, SOFFICE_ENV, find_soffice, fontconfig_file


@dataclass(frozen=True)
class DoctorLine:
    """One finding of ``doctor()``: what was checked, whether it is fine, and the detail."""

    what: str
    ok: bool
    detail: str


# official name, its style, the faces of that style (fonts.conf), the package that brings one
_FONTS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("仿宋_GB2312", "仿宋", ("FandolFang",), "texlive-lang-chinese"),
    ("仿宋", "仿宋", ("FandolFang",), "texlive-lang-chinese"),
    ("楷体_GB2312", "楷体", ("LXGW WenKai", "AR PL UKai CN", "FandolKai"), "fonts-lxgw-wenkai"),
    ("楷体", "楷体", ("LXGW WenKai", "AR PL UKai CN", "FandolKai"), "fonts-lxgw-wenkai"),
    ("黑体", "黑体", ("Noto Sans CJK SC", "FandolHei"), "fonts-noto-cjk"),
    ("宋体", "宋体", ("Noto Serif CJK SC", "FandolSong"), "fonts-noto-cjk"),
    ("方正小标宋简体", "宋体", ("Noto Serif CJK SC", "FandolSong"), "fonts-noto-cjk"),
    ("Times New Roman", "衬线体",
     ("Liberation Serif", "TeX Gyre Termes", "Nimbus Roman", "Noto Serif CJK SC"),
     "fonts-liberation2"),
)


def doctor() -> list[DoctorLine]:
    """Check what PDF conversion needs: LibreOffice, and a face of the right style per font."""
    # confinement is reported, never a failure: the template check still stands
    lines = [_check_soffice(), DoctorLine("LibreOffice 隔离", True, confinement())]
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return [*lines, DoctorLine("字体", False, "未找到 fc-match：apt-get install fontconfig")]
    with fontconfig_file() as fonts:
        env = {**os.environ, "FONTCONFIG_FILE": str(fonts)}
        for official, style, faces, package in _FONTS:
            query = [fc_match, "--format", "%{family[0]}\t%{style[0]}", f"{official}:lang=zh-cn"]
            found = _output(query, env)
            family, _, face_style = found.partition("\t")
            if family in (*faces, official):
                lines.append(DoctorLine(official, True, f"{family} {face_style}（{style}）"))
            else:
                got = f"{family} {face_style}，不是{style}" if family else "没有可用的字体"
                hint = f"请安装 {package}（提供 {faces[0]}）"
                lines.append(DoctorLine(official, False, f"{got}：{hint}"))
    return lines


def _check_soffice() -> DoctorLine:
    soffice = find_soffice()
    if soffice is None:
        where = f"环境变量 {SOFFICE_ENV} 指向的程序不可用。" if os.environ.get(SOFFICE_ENV) else ""
        return DoctorLine("LibreOffice", False, f"未找到 soffice。{where}{INSTALL_HINT}")
    version = _output([str(soffice), "--version"], dict(os.environ))
    if not version.startswith("LibreOffice"):
        return DoctorLine("LibreOffice", False, f"{soffice} 无法运行：{version or '没有输出'}")
    return DoctorLine("LibreOffice", True, f"{version}（{soffice}）")


def _output(cmd: list[str], env: dict[str, str]) -> str:
    """The first line a command prints, or why it could not run."""
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, errors="replace", env=env,
                              timeout=60, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"无法运行（{exc}）"
    return (done.stdout.strip().splitlines() or [""])[0]
