"""LibreOffice without a network: its command wrapped in a new, empty network namespace.

A report is built from a template that is checked for references to anything outside it
(``template_guard``); as a second wall, soffice runs under ``unshare --user --map-root-user
--net`` where the kernel allows unprivileged user namespaces (most Linux systems): there it
has only a loopback interface that is down, so no URL can be fetched, whatever a document
holds. Where unshare is missing or not allowed (macOS, Windows, locked-down kernels) soffice
runs as it is, and only the template check stands. ``DOCX_REPORT_NO_CONFINE=1`` turns it off.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

_UNSHARE = ("--user", "--map-root-user", "--net")


@functools.cache
def _unshare() -> str | None:
    """unshare's path, if it can make a network namespace here (tried once per process)."""
    if os.environ.get("DOCX_REPORT_NO_CONFINE"):
        return None
    found = shutil.which("unshare")
    if found is None:
        return None
    try:
        done = subprocess.run([found, *_UNSHARE, "true"], capture_output=True, timeout=10,
                              stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError):
        return None
    return found if done.returncode == 0 else None


def without_network(cmd: list[str]) -> list[str]:
    """``cmd`` run without network access where the system allows it (else ``cmd``)."""
    unshare = _unshare()
    return [unshare, *_UNSHARE, *cmd] if unshare else cmd


def confined() -> bool:
    """Does ``without_network`` confine commands on this system?"""
    return _unshare() is not None
