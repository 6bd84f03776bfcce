"""The LibreOffice profile each soffice of ``pdf`` starts with, kept as a seed between runs.

A soffice started on an empty profile folder spends most of its start making the profile
(LibreOffice 7.4 on the development machine, one report converted: 0.84 s of CPU, against
0.39 s on a profile that only names the version and 0.30 s on a seed's copy):

* it runs its ~100 graphics self-tests (``GraphicsRenderTests``, ~0.45 s) whenever the profile
  does not name this version as the last one run (``ooSetupLastVersion``), which a headless
  soffice never records: on every start;
* it sets up the extension manager's registries (~0.1 s).

So each profile names the version, and the rest is copied from a seed made once per
LibreOffice installation and user: the profile a soffice leaves after a start in which it was
asked to convert a file that does not exist (no document is ever opened for it). ``pdf``
builds it; this module keeps it, in ``libreoffice-profile/<key>`` of the cache folder
(``template_cache.folder()``, private; ``DOCX_REPORT_CACHE=off`` keeps nothing), and never
runs LibreOffice.

* The key is the installation (path, size, time and inode of soffice, soffice.bin, versionrc,
  share/extensions and share/registry) and the locale variables: an upgrade or another
  language is a new seed. Only the four newest seeds are kept.
* A seed is published whole (made in a hidden folder, then renamed) with a manifest of its
  folders and files (size, SHA-256) written last; two runs building at once both succeed and
  one seed stays. It is read only if the folder is the user's own and not writable by others.
* Every use checks the seed against its manifest while copying it into the run's private
  temporary folder (modification times kept: LibreOffice compares them to decide whether its
  extension registries are current). A seed that was changed, cut short or gained a file is
  removed and built again. One on which a soffice ended abnormally before converting anything
  is removed too (``pdf`` then retries on a profile that only names the version).
* A seed that does not fit (another LibreOffice behind the same path) can only make a start
  slower: LibreOffice checks the profile's build id and version and redoes what is stale.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from docx_report.template_cache import private as _private
from docx_report.template_cache import private_folder

_MAGIC = "docx-report libreoffice profile 1"
_MANIFEST = "manifest.txt"
_KEEP = 4  # seeds of other installations kept
_STALE_SECONDS = 3600  # a hidden folder this old is a build that was killed
_VERSION = re.compile(r"\b(\d+)\.(\d+)(?:\.\d+)*\b")
_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" \
xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Setup/Product"><prop oor:name="ooSetupLastVersion" \
oor:op="fuse"><value>{version}</value></prop></item>
</oor:items>
"""


def product_version(version_line: str) -> str:
    """``7.4`` from soffice's ``LibreOffice 7.4.7.2 40(Build:2)``, or '' when none is there."""
    found = _VERSION.search(version_line)
    return f"{int(found.group(1))}.{int(found.group(2))}" if found else ""


def new_profile(profile: Path, version: str) -> None:
    """An empty profile that names ``version`` as the last one run ('': simply empty)."""
    (profile / "user").mkdir(parents=True)
    if version:
        (profile / "user" / "registrymodifications.xcu").write_text(
            _XCU.format(version=version), "utf-8")


def seeds_folder() -> Path | None:
    """Where seeds are kept: a private folder of the cache, made if needed; None when the
    cache is off or that folder cannot be used (then no seed is built: it would be lost)."""
    where = private_folder()
    if where is None:
        return None
    seeds = where / "libreoffice-profile"
    try:
        seeds.mkdir(mode=0o700, parents=True, exist_ok=True)
        usable = _private(seeds) and os.access(seeds, os.W_OK | os.X_OK)
    except OSError:
        return None
    return seeds if usable else None


def seed_complete(profile: Path, version: str) -> bool:
    """Did soffice finish ``profile`` (its extension registries made, the version kept)?"""
    item = f'oor:name="ooSetupLastVersion" oor:op="fuse"><value>{version}</value>'
    try:
        return ((profile / "user" / "extensions" / "buildid").is_file() and item in
                (profile / "user" / "registrymodifications.xcu").read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        return False


def seed_key(soffice: Path) -> str:
    """The installation behind ``soffice`` and the locale, as a folder name."""
    program = Path(os.path.realpath(soffice))
    install = program.parent.parent
    digest = hashlib.sha256(_MAGIC.encode())
    for path in (program, program.parent / "soffice.bin", program.parent / "versionrc",
                 install / "share" / "extensions", install / "share" / "registry"):
        try:
            info = path.stat()
            digest.update(f"{path}|{info.st_size}|{info.st_mtime_ns}|{info.st_ino}\n".encode())
        except OSError:
            digest.update(f"{path}|-\n".encode())
    for name in sorted(n for n in os.environ if n.startswith("LC_") or n in ("LANG", "LANGUAGE")):
        digest.update(f"{name}={os.environ[name]}\n".encode())
    return digest.hexdigest()[:32]


def _tree(root: Path) -> tuple[list[str], list[str]]:
    """The folders and files under ``root`` (relative, '/'-separated, sorted); ValueError for a
    link or anything else that is neither."""
    folders: list[str] = []
    files: list[str] = []
    for entry_dir, dir_names, file_names in os.walk(root):
        rel = Path(entry_dir).relative_to(root)
        for name in dir_names:
            if os.path.islink(os.path.join(entry_dir, name)):
                raise ValueError(f"link {rel / name}")
            folders.append((rel / name).as_posix())
        for name in file_names:
            path = os.path.join(entry_dir, name)
            if os.path.islink(path) or not os.path.isfile(path):
                raise ValueError(f"not a file: {rel / name}")
            files.append((rel / name).as_posix())
    return sorted(folders), sorted(files)


def load_seed(seed: Path, dest: Path) -> str:
    """Copy the seed to ``dest`` (a new folder), checked against its manifest; its version.

    Raises ValueError when the seed cannot be read or does not match its manifest, OSError
    when ``dest`` cannot be written (``dest`` may then hold part of it).
    """
    try:
        if not _private(seed):
            raise ValueError("not private")
        lines = (seed / _MANIFEST).read_text("utf-8").splitlines()
        if len(lines) < 2 or lines[0] != _MAGIC or not lines[1].startswith("version "):
            raise ValueError("no manifest")
        want_files = {}
        for line in lines[2:]:
            if line.startswith("f "):
                length, digest, rel = line[2:].split(" ", 2)
                want_files[rel] = (int(length), digest)
        folders, files = _tree(seed)
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(str(exc)) from None
    if (folders != [ln[2:] for ln in lines[2:] if ln.startswith("d ")]
            or files != sorted([*want_files, _MANIFEST])):
        raise ValueError("files differ")
    dest.mkdir()
    for rel in folders:
        (dest / rel).mkdir()
    for rel, (size, sha) in want_files.items():
        try:
            times = (seed / rel).stat()
            if times.st_size != size:  # (a file grown huge is not read)
                raise ValueError(f"{rel} changed")
            with open(seed / rel, "rb") as fh:
                data = fh.read(size + 1)
        except OSError as exc:
            raise ValueError(str(exc)) from None
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            raise ValueError(f"{rel} changed")
        (dest / rel).write_bytes(data)
        os.utime(dest / rel, ns=(times.st_atime_ns, times.st_mtime_ns))
    return lines[1][len("version "):]


def publish_seed(profile: Path, seeds: Path, key: str, version: str) -> None:
    """Keep ``profile`` (a finished soffice's) as the seed ``key``; any failure keeps nothing."""
    stage: Path | None = None
    try:
        stage = Path(tempfile.mkdtemp(prefix=".new-", dir=seeds))
        shutil.copytree(profile, stage, dirs_exist_ok=True)
        folders, files = _tree(stage)
        lines = [_MAGIC, f"version {version}", *(f"d {rel}" for rel in folders)]
        for rel in files:
            data = (stage / rel).read_bytes()
            lines.append(f"f {len(data)} {hashlib.sha256(data).hexdigest()} {rel}")
        (stage / _MANIFEST).write_text("\n".join(lines) + "\n", "utf-8")
        os.rename(stage, seeds / key)  # fails when another run published it first
        stage = None
    except (OSError, ValueError):
        pass
    finally:
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    _prune(seeds, key)


def discard_seed(seed: Path) -> None:
    """Remove a seed at once (renamed away first: no run copies half of it)."""
    trash = seed.with_name(f".old-{uuid.uuid4().hex[:8]}")
    try:
        os.rename(seed, trash)
    except OSError:
        return
    shutil.rmtree(trash, ignore_errors=True)


def _prune(seeds: Path, key: str) -> None:
    """Keep the ``_KEEP`` newest seeds; remove builds and removals that were killed."""
    try:
        entries = [(e.stat(follow_symlinks=False).st_mtime, e) for e in os.scandir(seeds)]
    except OSError:
        return
    seeds_by_age = sorted(((t, e) for t, e in entries if not e.name.startswith(".")
                           and e.name != key), key=lambda te: te[0], reverse=True)
    for _, entry in seeds_by_age[_KEEP - 1:]:
        discard_seed(Path(entry.path))
    for mtime, entry in entries:
        if entry.name.startswith((".new-", ".old-")) and time.time() - mtime > _STALE_SECONDS:
            shutil.rmtree(entry.path, ignore_errors=True)
