"""openpyxl's style parts, each made once per process and hashed once (``workbook``'s cells).

openpyxl hashes every part set on a cell (recursively, field by field) to find it among the
workbook's: a third of a second for a 汇总 workbook. These classes are openpyxl's own with the
hash kept: equal to, hashed, compared and written as openpyxl's parts, so both are one in a
workbook (``tests/test_workbook.py`` writes both and compares the bytes).
"""

from __future__ import annotations

from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection

__all__ = ["Alignment_", "Border_", "Fill_", "Font_", "Protection_"]


class _HashedOnce:
    """Mixin: an openpyxl style part made once and never changed, its hash worked out once.
    openpyxl hashes every part set on a cell (recursively, field by field) to find it among
    the workbook's: a third of a second for a 汇总 workbook. Equal to the same part made by
    openpyxl's own class (which compares classes first), so that they are one in a workbook."""

    kind: Any  # the openpyxl class

    def __hash__(self) -> int:
        try:
            return self._hashed
        except AttributeError:
            self._hashed: int = super().__hash__()
            return self._hashed

    def __eq__(self, other: object) -> bool:
        # openpyxl's __eq__ but for the class: its kind, ours or openpyxl's own
        return isinstance(other, self.kind) and dict(self) == dict(other) and all(  # type: ignore[call-overload]
            getattr(self, name) == getattr(other, name) for name in self.kind.__elements__)

    def __ne__(self, other: object) -> bool:
        return not self == other


def hashed_once(kind: Any) -> Any:
    """``kind`` (Font, PatternFill…) hashed once: equal to, hashed, compared and written as
    ``kind``'s own. openpyxl's metaclass lists a class's fields from its own body: a subclass
    takes ``kind``'s lists."""
    made = type(kind)(kind.__name__, (_HashedOnce, kind), {
        "__module__": __name__, "__qualname__": f"hashed_once.{kind.__name__}", "kind": kind,
        **{name: getattr(kind, name) for name in ("__attrs__", "__nested__", "__elements__")}})
    made.__namespaced__ = kind.__namespaced__  # the metaclass sets it from the body alone
    return made


Fill_ = hashed_once(PatternFill)
Alignment_ = hashed_once(Alignment)
Font_ = hashed_once(Font)
Protection_ = hashed_once(Protection)
Border_ = hashed_once(Border)
