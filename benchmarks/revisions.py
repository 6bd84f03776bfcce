"""What the before/after benchmarks share: the baseline revision's code, and instructions.

``read_speed.py``, ``step_speed.py`` and ``parent_speed.py`` each run their stage in a child
process per side: this tree's ``src`` against a baseline revision's, taken out of git; with
``--instructions`` the child runs under cachegrind, whose count the load of the machine does not
move.
"""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHEGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no",
              "--cachegrind-out-file=/dev/null"]


def baseline(revision: str, folder: Path) -> Path:
    """The baseline's ``src`` (with the ``templates`` its packs are read from) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / "baseline.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision, "src",
                    "templates"], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder, filter="data")
    return folder / "src"


def instructions(stderr: str) -> int:
    """The instructions cachegrind counted ("I refs", however it pads the label)."""
    line = next(line for line in stderr.splitlines() if "I" in line and "refs" in line)
    return int(line.split(":")[1].replace(",", ""))
