"""The data paths a template reads (``field_paths``), for lint and for deriving a blank workbook.

``rows[0].name`` in ``{% for r in rows %}`` is ``("rows", "*", "name")``: loop variables, ``set``
and ``with`` are followed back to the data they stand for. Used by ``render``.
"""

from __future__ import annotations

from collections.abc import Iterator

from jinja2 import nodes

_BUILTINS = frozenset({"range", "dict", "namespace", "loop", "self", "caller", "varargs",
                       "kwargs", "lipsum", "cycler", "joiner"})
_PASS_THROUGH = frozenset({"sort", "reverse", "list", "unique", "selectattr", "rejectattr",
                           "select", "reject", "default", "d", "first", "last"})
Scope = dict[str, tuple[str, ...] | None]


def _path(node: nodes.Node, scope: Scope) -> tuple[str, ...] | None:
    """``rows[0].name`` -> ("rows", "*", "name"); None if not a plain data path."""
    if isinstance(node, nodes.Name):
        if node.name in scope:
            return scope[node.name]
        return None if node.name in _BUILTINS else (node.name,)
    if isinstance(node, nodes.Filter) and node.name in _PASS_THROUGH and node.node is not None:
        base = _path(node.node, scope)
        return (*base, "*") if base and node.name in {"first", "last"} else base
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        base = _path(node.node, scope)
        key = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if base is None or not isinstance(key, str | int):
            return None
        return (*base, key if isinstance(key, str) else "*")
    return None


def _bind(target: nodes.Node, path: tuple[str, ...] | None, scope: Scope) -> None:
    if isinstance(target, nodes.Name):
        scope[target.name] = path
    elif isinstance(target, nodes.Tuple):
        for item in target.items:
            _bind(item, None, scope)


def field_paths(tree: nodes.Node) -> Iterator[tuple[tuple[str, ...], int]]:
    """(path, line) of every data path a template reads, longest path only."""

    def walk(node: nodes.Node, scope: Scope) -> Iterator[tuple[tuple[str, ...], int]]:
        path = _path(node, scope) if getattr(node, "ctx", "load") == "load" else None
        if path and isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem | nodes.Filter):
            yield path, node.lineno
            for child in (*node.args, *node.kwargs) if isinstance(node, nodes.Filter) else ():
                yield from walk(child, scope)
            return
        if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr):
            yield from walk(node.node.node, scope)  # x.strip(): x is the data
            for child in (*node.args, *node.kwargs):
                yield from walk(child, scope)
            return
        if isinstance(node, nodes.For):
            source = _path(node.iter, scope)
            inner = {**scope, "loop": None}
            _bind(node.target, (*source, "*") if source else None, inner)
            body = [use for child in (*([node.test] if node.test else []), *node.body)
                    for use in walk(child, inner)]
            items = any(source and p[:len(source) + 1] == (*source, "*") for p, _ in body)
            # the list itself counts as used only if the body does not say which fields
            yield from (use for use in walk(node.iter, scope) if not (items and use[0] == source))
            yield from body
            for child in node.else_:
                yield from walk(child, scope)
            return
        if isinstance(node, nodes.Assign):
            yield from walk(node.node, scope)
            _bind(node.target, _path(node.node, scope), scope)
            return
        if isinstance(node, nodes.With):
            inner = dict(scope)
            for target, value in zip(node.targets, node.values, strict=True):
                yield from walk(value, scope)
                _bind(target, _path(value, scope), inner)
            for child in node.body:
                yield from walk(child, inner)
            return
        if isinstance(node, nodes.Macro | nodes.CallBlock | nodes.AssignBlock):
            inner = dict(scope)
            for arg in getattr(node, "args", []):
                _bind(arg, None, inner)
            if isinstance(node, nodes.AssignBlock):
                _bind(node.target, None, scope)
            for child in node.body:
                yield from walk(child, inner)
            return
        for child in node.iter_child_nodes():
            yield from walk(child, scope)

    yield from walk(tree, {})


