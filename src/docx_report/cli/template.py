"""Commands of this feature (filled in by the feature's work)."""

from __future__ import annotations

import click


def register(main: click.Group) -> None:
    """Add this module's commands to the main group."""
