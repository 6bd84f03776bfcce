"""The hardened Jinja environment that runs Word templates, and what it can tell about them.

Templates come from outside (agencies restyle them), so ``ENV`` is Jinja's sandbox with more:
attributes the sandbox would refuse are found before anything runs (``unsafe_attribute``);
what operators, filters, method calls and ``~`` build is capped in size (``TooLarge``); a
render stops after a time limit (``run_with_time_limit``). Used by ``render`` and the modules
it renders with (``salvage``, ``core_props``).
"""

from __future__ import annotations

import ctypes
import math
import re
import signal
import string
import sys
import threading
from collections.abc import Callable, Mapping
from functools import wraps
from types import FrameType
from typing import Any, TypeVar

import markupsafe
from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from docx_report.linebreak import balanced_lines

DEFAULT_TIME_LIMIT = 5.0  # seconds for all parts of one render
MAX_SIZE = 1_000_000  # characters or items one operation in a template may produce
MAX_OUTPUT = 50_000_000  # characters of XML one part may produce
MAX_INT_BITS = 10_000  # size of integers ``*`` and ``**`` may produce

MAX_BUILT = 50_000_000  # characters or items all operations of one render may produce

_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ue000-\ue002]")
# A %-conversion as Python reads it: %(key)flags width .precision length type
_PERCENT = re.compile(r"%(?:\([^)]*\))?[-+ #0]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?(.)", re.DOTALL)
_DIGITS = re.compile(r"\d+")

_WIDTH_ARGS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs", "indent", "wordwrap",
                         "truncate", "batch", "slice"})
# markupsafe's escaping of a str to a str (what ``escape`` wraps in Markup); the public
# ``escape`` where a version of markupsafe has no such function
_escape_str: Callable[[str], str] = getattr(
    markupsafe, "_escape_inner", lambda text: str(escape(text)))
_built = threading.local()  # characters built by the current render (``run_with_time_limit``)

R = TypeVar("R")


class RenderTimeout(Exception):
    """Raised inside a render when its time limit has passed."""


class TooLarge(Exception):
    """Raised inside a render when a template produces something larger than the caps."""


def clean(text: str) -> str:
    """Drop characters XML 1.0 cannot store (and our private line markers)."""
    return _BAD_XML_CHARS.sub("", text)


def _check_size(value: Any) -> Any:
    if isinstance(value, str | bytes | list | tuple | dict | set):
        if len(value) > MAX_SIZE:
            raise TooLarge
        # All a render builds, together: many values each under the cap (1 MB strings
        # appended to a list in a loop) still exhaust memory.
        _built.count = getattr(_built, "count", 0) + len(value)
        if _built.count > MAX_BUILT:
            raise TooLarge
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise TooLarge
    return value


def _check_args(name: str, subject: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse calls that would build something huge before they allocate it."""
    values = [*args, *kwargs.values()]
    if name in _WIDTH_ARGS and any(isinstance(v, int) and v > MAX_SIZE for v in values):
        raise TooLarge
    if name in {"format", "format_map", "%"} and isinstance(subject, str) and \
            _formatted_size(subject, values, percent=name == "%") > MAX_SIZE:
        raise TooLarge
    if name == "replace" and isinstance(subject, str) and len(args) >= 2:
        old, new = str(args[0]), str(args[1])
        count = subject.count(old) if old else len(subject) + 1
        if len(subject) + count * max(len(new) - len(old), 0) > MAX_SIZE:
            raise TooLarge
    if name == "join":  # str.join(items) on the separator, or the filter join(items, d)
        items, sep = (args[0] if args else (), subject) if isinstance(subject, str) else \
            (subject, args[0] if args else kwargs.get("d", ""))
        if hasattr(items, "__len__"):
            n = len(items)
            parts = sum(len(str(x)) for x in items) if isinstance(items, list | tuple) else 0
            if parts + max(n - 1, 0) * len(str(sep)) > MAX_SIZE:
                raise TooLarge
    if name == "translate" and isinstance(subject, str) and args and \
            isinstance(args[0], Mapping):
        longest = max((len(str(v)) for v in args[0].values() if v is not None), default=1)
        if len(subject) * longest > MAX_SIZE:
            raise TooLarge


def _formatted_size(template: str, values: list[Any], *, percent: bool) -> int:
    """At least how long ``template % values`` or ``template.format(*values)`` would be,
    from the template as Python parses it: widths and precisions count in full (``%(a)9999s``,
    ``{:>{w}}``), every field at the length of the longest argument, before anything is built.
    """
    flat: list[Any] = []
    for v in values:
        flat += list(v.values()) if isinstance(v, Mapping) else list(v) if isinstance(
            v, tuple) else [v]
    longest = max((len(str(v)) if not isinstance(v, int) else 24 for v in flat), default=0)
    biggest = max((v for v in flat if isinstance(v, int) and not isinstance(v, bool)),
                  default=0)
    size, fields = len(template), 0
    if percent:
        for m in _PERCENT.finditer(template):
            if m.group(3) == "%":
                continue
            fields += 1
            for part in (m.group(1), m.group(2)):
                size += biggest if part == "*" else _number(part)
    else:
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            return size  # Python refuses it too
        for _, name, spec, _ in parsed:
            if name is None:
                continue
            fields += 1
            size += biggest if "{" in (spec or "") else 0
            size += sum(_number(d) for d in _DIGITS.findall(spec or ""))
    return size + fields * longest


def _number(digits: str | None) -> int:
    if not digits:
        return 0
    return int(digits) if len(digits) <= 9 else 10 * MAX_SIZE


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(func)  # keeps jinja's pass_context/pass_eval_context markers
    def guarded(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not hasattr(a, "environment")]  # skip context/env args
        subject = values[0] if values else None
        _check_args("%" if name == "format" else name, subject, tuple(values[1:]), kwargs)
        return _check_size(func(*args, **kwargs))

    return guarded


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``~`` concatenation checked for size, and printed values
    finalized and escaped in one call (``_Sandbox.emit``) where autoescaping is fixed."""

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        """``a.b.c`` on a variable: one call for the whole chain (``_Sandbox.getattrs``), each
        attribute looked up as ``getattr`` would (a table's cell is two levels down)."""
        attributes = []
        inner: nodes.Node = node
        while isinstance(inner, nodes.Getattr) and inner.ctx == "load":
            attributes.append(inner.attr)
            inner = inner.node
        if len(attributes) < 2 or not isinstance(inner, nodes.Name) or self.environment.is_async:
            super().visit_Getattr(node, frame)
            return
        self.write("environment.getattrs(")
        self.visit(inner, frame)
        self.write(f", {tuple(reversed(attributes))!r})")

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.checked(")
        super().visit_Concat(node, frame)
        self.write(")")

    @staticmethod
    def _emits(frame: Frame, finalize: Any) -> bool:
        return (not frame.eval_ctx.volatile and bool(frame.eval_ctx.autoescape)
                and finalize.src == "environment.finalize(")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if self._emits(frame, finalize):
            self.write("environment.emit(")
        else:
            super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if self._emits(frame, finalize):
            self.write(")")
        else:
            super()._output_child_post(node, frame, finalize)


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox, with the sizes of what templates build capped."""

    code_generator_class = _CodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True, finalize=self._finalize)
        for name in ("lipsum", "cycler", "joiner"):
            self.globals.pop(name, None)
        # Our own filter: a long 机关名称 in balanced lines, broken between words.
        self.filters["balanced_lines"] = balanced_lines
        self.filters = {name: _guard_filter(name, f) for name, f in self.filters.items()}

    @staticmethod
    def _finalize(value: Any) -> Any:
        """Every printed value: cleaned for XML; huge ones (a block grown in a loop) stop."""
        if isinstance(value, str):
            if len(value) > 10 * MAX_SIZE:
                raise TooLarge
            cleaned = clean(value)
            return Markup(cleaned) if isinstance(value, Markup) else cleaned
        return value

    @staticmethod
    def emit(value: Any) -> Any:
        """``escape(finalize(value))`` in one call: a printed string (every value a report's
        context holds) cleaned and escaped without building Markup twice."""
        if type(value) is str:
            if len(value) > 10 * MAX_SIZE:
                raise TooLarge
            # No character clean drops is printable (controls, non-characters, private use):
            # a printable string (most values: numbers, names, paragraphs) is already clean.
            return _escape_str(value if value.isprintable() else clean(value))
        return escape(_Sandbox._finalize(value))

    @staticmethod
    def checked(value: Any) -> Any:
        return _check_size(value)

    def getattr(self, obj: Any, attribute: str) -> Any:
        """``a.b`` on a plain dict (the context's tables and sections): its item, as Jinja
        gives it when a dict has no attribute of that name, without raising AttributeError."""
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except (KeyError, TypeError):
                pass
        return super().getattr(obj, attribute)

    def getattrs(self, obj: Any, attributes: tuple[str, ...]) -> Any:
        """``getattr`` for each attribute in turn (the code for ``a.b.c``)."""
        for attribute in attributes:
            if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
                try:
                    obj = obj[attribute]
                    continue
                except (KeyError, TypeError):
                    pass
            obj = SandboxedEnvironment.getattr(self, obj, attribute)
        return obj

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        ints = isinstance(left, int) and isinstance(right, int)
        if operator == "**" and ints and abs(left) > 1 and right > 0:
            if right * math.log2(abs(left)) > MAX_INT_BITS:
                raise TooLarge
        elif operator == "*" and ints:
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise TooLarge
        elif operator == "*" and isinstance(right, int) and hasattr(left, "__len__"):
            if len(left) * right > MAX_SIZE:
                raise TooLarge
        elif operator == "*" and isinstance(left, int) and hasattr(right, "__len__"):
            if len(right) * left > MAX_SIZE:
                raise TooLarge
        elif operator == "%" and isinstance(left, str):
            _check_args("%", left, (right,), {})
        return _check_size(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(__obj, "__wrapped__", __obj)  # str.format is wrapped by the sandbox
        owner = getattr(target, "__self__", None)
        _check_args(getattr(target, "__name__", ""), owner, args, kwargs)
        result = _check_size(super().call(__context, __obj, *args, **kwargs))
        if isinstance(owner, list | dict | set) and len(owner) > MAX_SIZE:  # x.append(…)
            raise TooLarge
        return result


_DICT_ATTRIBUTES = frozenset(dir(dict))
ENV = _Sandbox()


_UNSAFE_NAMES = frozenset({"mro", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame",
                           "ag_code", "f_globals", "f_locals", "f_back", "tb_frame",
                           "func_globals"})


def unsafe_attribute(tree: nodes.Template) -> tuple[str, int] | None:
    """What a template does that is refused before it runs, and on which line: an attribute
    the sandbox would refuse, or reading other files (include, import, extends)."""
    found: tuple[str, int] | None = None  # the first unsafe attribute (reading files first)
    for node in tree.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends,
                               nodes.Getattr, nodes.Getitem, nodes.Filter, nodes.Keyword)):
        if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
            return "模板不能引用其他文件（include/import/extends），已拒绝", node.lineno
        if found is not None:
            continue
        name: Any = None
        if isinstance(node, nodes.Getattr):
            name = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            name = node.arg.value
        elif isinstance(node, nodes.Filter) and node.name == "attr" and node.args:
            name = getattr(node.args[0], "value", None)
        elif isinstance(node, nodes.Keyword) and node.key in {"attribute", "attr"}:
            name = getattr(node.value, "value", None)
        if isinstance(name, str) and any(
            p.startswith("_") or p in _UNSAFE_NAMES for p in name.split(".")
        ):
            found = f"模板试图访问不安全的属性 {name}，已拒绝", node.lineno
    return found


def syntax_message(exc: TemplateSyntaxError) -> str:
    msg = exc.message or ""
    if m := re.search(r"Encountered unknown tag '(\w+)'", msg):
        return (f"未知的标签 {m.group(1)}（标签拼写错误、% 与 p/tr/tc 之间有空格，"
                "或缺少对应的开始标签）")
    if m := re.search(r"No (filter|test) named '(\w+)'", msg):
        return f"没有名为 {m.group(2)} 的{'过滤器' if m.group(1) == 'filter' else '测试'}"
    if "Unexpected end of template" in msg:
        need = re.findall(r"'(end\w+)'", msg)
        return f"缺少结束标签 {{% {need[0] if need else 'end…'} %}}"
    return f"标签写法有误（{msg}）"


def template_lineno(exc: BaseException) -> int | None:
    lineno, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return lineno


def error_message(exc: Exception, limit: float) -> str:
    """What went wrong during a render, for the clerk (the caller adds file and place)."""
    if isinstance(exc, RenderTimeout):
        return f"模板运行超过 {limit:g} 秒，已停止（可能有过大或无尽的循环）"
    if isinstance(exc, TooLarge | MemoryError | OverflowError):
        return "模板试图生成过大的内容，已停止"
    if isinstance(exc, SecurityError):
        return f"模板试图访问不安全的属性或方法，已拒绝（{exc}）"
    if isinstance(exc, UndefinedError):
        m = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", exc.message or "")
        return f"模板引用了不存在的字段 {(m.group(1) or m.group(2)) if m else exc}"
    if isinstance(exc, RecursionError):
        return "模板递归过深，已停止"
    return f"模板运行出错（{type(exc).__name__}: {exc}）"


def _in_finalizer(frame: FrameType | None) -> bool:
    """Is this code a finalizer (``__del__``, a weakref callback run by the garbage
    collector)? An exception raised there is swallowed, so the alarm waits for its next tick."""
    code = frame.f_code if frame is not None else None
    return code is not None and (code.co_name == "__del__" or code.co_filename.endswith(
        ("weakref.py", "_weakrefset.py")))


def run_with_time_limit(limit: float, fn: Callable[[], R]) -> R:
    """Run fn, raising RenderTimeout inside it once ``limit`` seconds have passed (and every
    0.1 s after, in case something swallowed it): SIGALRM on the main thread, else a watchdog
    thread that raises the exception asynchronously in this thread."""
    use_signal = (hasattr(signal, "setitimer")
                  and threading.current_thread() is threading.main_thread()
                  and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    active = True
    _built.count = 0  # the budget of MAX_BUILT is per render
    if use_signal:
        def on_alarm(signum: int, frame: FrameType | None) -> None:
            if active and not _in_finalizer(frame):
                raise RenderTimeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        try:
            signal.setitimer(signal.ITIMER_REAL, limit, 0.1)  # inside: it may fire at once
            return fn()
        finally:
            active = False
            signal.setitimer(signal.ITIMER_REAL, 0)
            # runs a pending on_alarm first (a no-op now); None: a handler not set from Python
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
    lock, done, tid = threading.Lock(), threading.Event(), threading.get_ident()
    set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc

    def watchdog() -> None:
        delay = limit
        while not done.wait(delay):
            with lock:
                if active and not done.is_set() and not _in_finalizer(
                        sys._current_frames().get(tid)):
                    set_async(ctypes.c_ulong(tid), ctypes.py_object(RenderTimeout))
            delay = 0.1

    try:
        threading.Thread(target=watchdog, daemon=True).start()  # inside: it may fire at once
        return fn()
    finally:
        done.set()  # the watchdog injects no more …
        with lock:  # … and one it injected but that has not fired yet is cleared
            active = False
            set_async(ctypes.c_ulong(tid), None)
