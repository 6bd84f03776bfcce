"""LibreOffice without a network and without the machine's files: soffice in new namespaces.

A report is built from a template that is checked for references to anything outside it
(``template_guard``); as a second wall, soffice runs under ``unshare --user --map-root-user
--net --mount --pid --fork --mount-proc`` where the kernel allows unprivileged user namespaces
(most Linux systems). There it has

* only a loopback interface that is down, so no URL can be fetched, whatever a document holds;
* its own view of the file system: every top-level folder except the system's own (``/usr``,
  ``/etc``, ``/lib*``, ``/bin``, ``/sbin``, ``/dev``, ``/sys``) — so ``/home``, ``/root``,
  ``/tmp``, ``/srv``, ``/opt``, ``/var``, ``/run`` … — is covered by an empty tmpfs, and only the
  folders it needs are bound back: the job's folder (documents, profile, TMPDIR), the shipped
  fonts.conf, the font folders and caches fontconfig reads, and LibreOffice's own install;
* its own process list (so ``/proc/<pid>/root`` of another program cannot reach around the
  covers), and no capabilities left after the mounts (it cannot unmount a cover).

Where only the network namespace is allowed, soffice runs without network but with the files;
where unshare is missing or not allowed (macOS, Windows, locked-down kernels) soffice runs as
it is, and only the template check stands. ``DOCX_REPORT_NO_CONFINE=1`` turns it all off.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

_NET = ("--user", "--map-root-user", "--net")
_FILES = (*_NET, "--mount", "--pid", "--fork", "--mount-proc")
# Top-level folders soffice sees as they are; every other folder of / is covered.
_SYSTEM = frozenset({"usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "dev",
                     "proc", "sys"})
# Read by fontconfig/LibreOffice under covered folders: bound back where they exist.
_SYSTEM_KEEP = ("/var/cache/fontconfig", "/var/lib/fontconfig", "/usr/local/share/fonts")

# Arguments: a covered folder used as a staging place, the paths to bind back, "--", the other
# folders to cover, "--", the paths to bind back again, "--", the command. The kept paths are
# bound into the stage before anything is covered, the covers are mounted, the kept paths are
# bound back from the stage onto (newly made) places of the same name, the stage is covered
# too, and the capabilities are dropped so no cover can be unmounted.
_SCRIPT = r"""
set -e
stage=$1; shift
mount -t tmpfs -o mode=700 none "$stage"
n=0
while [ "$1" != "--" ]; do
  if [ -d "$1" ]; then mkdir "$stage/$n"; else : > "$stage/$n"; fi
  mount --bind "$1" "$stage/$n"; n=$((n + 1)); shift
done; shift
while [ "$1" != "--" ]; do mount -t tmpfs -o mode=755 none "$1"; shift; done; shift
n=0
while [ "$1" != "--" ]; do
  if [ -d "$stage/$n" ]; then mkdir -p "$1"; else mkdir -p "${1%/*}"; : > "$1"; fi
  mount --bind "$stage/$n" "$1"; n=$((n + 1)); shift
done; shift
umount -l "$stage"
mount -t tmpfs -o mode=755 none "$stage"
if command -v setpriv >/dev/null; then
  exec setpriv --bounding-set=-all --inh-caps=-all -- "$@"
fi
exec "$@"
"""


def _works(unshare: str, options: tuple[str, ...], probe: list[str]) -> bool:
    try:
        done = subprocess.run([unshare, *options, *probe], capture_output=True, timeout=10,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


@functools.cache
def _levels() -> tuple[str | None, bool]:
    """unshare's path if it can make a network namespace here, and whether it can also hide
    the machine's files (tried once per process)."""
    if os.environ.get("DOCX_REPORT_NO_CONFINE"):
        return None, False
    found = shutil.which("unshare")
    if found is None or not _works(found, _NET, ["true"]):
        return None, False
    covers = _covers()
    stage = _stage(covers, [])
    if stage is None:
        return found, False
    probe = _wrapped(stage, covers, [], ["true"])
    return found, _works(found, _FILES, probe)


def _covers() -> list[str]:
    """Top-level folders to cover with an empty tmpfs (real folders only, not symlinks)."""
    try:
        names = sorted(os.listdir("/"))
    except OSError:
        return []
    return [f"/{n}" for n in names if n not in _SYSTEM and os.path.isdir(f"/{n}")
            and not os.path.islink(f"/{n}")]


def _stage(covers: list[str], keeps: Iterable[str]) -> str | None:
    """A covered folder that holds none of the kept paths, to stage them while covering."""
    held = list(keeps)
    for cover in covers:
        if not any(k == cover or k.startswith(cover + "/") for k in held):
            return cover
    return None


def _wrapped(stage: str, covers: list[str], keeps: list[str], cmd: list[str]) -> list[str]:
    others = [c for c in covers if c != stage]
    return ["sh", "-c", _SCRIPT, "sh", stage, *keeps, "--", *others, "--", *keeps, "--", *cmd]


def _font_places() -> list[str]:
    """Folders fontconfig reads that may lie in covered places (user fonts and caches)."""
    home = Path.home()
    data = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache")
    config = Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config")
    return [str(p) for p in (home / ".fonts", data / "fonts", cache / "fontconfig",
                             config / "fontconfig", home / ".fonts.conf")]


def _program_places(program: str) -> list[str]:
    """The install folder of ``program`` (``…/program/soffice`` → ``…``) and, for a script,
    of its interpreter (both the path it names and where that path leads)."""
    path = Path(shutil.which(program) or program).resolve()
    places = [str(path.parent.parent if path.parent.name == "program" else path.parent)]
    try:
        with path.open("rb") as file:
            head = file.read(256)
    except OSError:
        return places
    if head.startswith(b"#!"):
        words = head[2:].split(b"\n", 1)[0].split()
        if words:
            interpreter = Path(os.fsdecode(words[0]))
            places += [str(interpreter.parent.parent), str(interpreter.resolve().parent.parent)]
    return places


def confine(cmd: list[str], keep: Iterable[Path] = ()) -> list[str]:
    """``cmd`` run without network access and, where the system allows it, seeing only the
    system folders and the paths in ``keep`` (plus the fonts and LibreOffice's install);
    else without network only, else ``cmd`` itself."""
    unshare, files = _levels()
    if unshare is None:
        return cmd
    if not files:
        return [unshare, *_NET, *cmd]
    covers = _covers()
    keeps: list[str] = []
    for path in [*map(str, keep), *_SYSTEM_KEEP, *_font_places(), *_program_places(cmd[0])]:
        real = os.path.realpath(path)
        if (os.path.exists(real) and real not in keeps
                and any(real.startswith(c + "/") for c in covers)):
            keeps.append(real)
    stage = _stage(covers, keeps)
    if stage is None:  # every covered folder holds something soffice needs
        return [unshare, *_NET, *cmd]
    return [unshare, *_FILES, *_wrapped(stage, covers, keeps, cmd)]


def without_network(cmd: list[str]) -> list[str]:
    """``cmd`` run without network access where the system allows it (else ``cmd``)."""
    unshare, _ = _levels()
    return [unshare, *_NET, *cmd] if unshare else cmd


def confined() -> bool:
    """Does ``confine`` cut the network of commands on this system?"""
    return _levels()[0] is not None


def files_hidden() -> bool:
    """Does ``confine`` also hide the machine's files from commands on this system?"""
    return _levels()[1]


def confinement() -> str:
    """How ``confine`` confines commands on this system, in Chinese (for ``doctor``)."""
    if os.environ.get("DOCX_REPORT_NO_CONFINE"):
        return "未隔离：已由环境变量 DOCX_REPORT_NO_CONFINE 关闭"
    if files_hidden():
        return "已隔离：无网络，只能读取系统目录和本次转换的文件（unshare）"
    if confined():
        return "部分隔离：无网络，但仍能读取本机文件（系统不允许 mount 命名空间）"
    return "未隔离：系统不支持 unshare 用户命名空间，仅靠模板检查拒绝外部引用"
