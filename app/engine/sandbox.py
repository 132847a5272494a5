"""Sandboxed Python for BPMN expressions and scripts.

SpiffWorkflow's default engine runs `eval`/`exec` with every builtin, so a diagram author could
run shell commands on the server. Here every expression and script is compiled with
RestrictedPython, runs with a curated set of builtins and the functions registered in
`app.engine.functions`, and goes through guards:

- names and attributes starting with `_` are refused at compile time;
- builtins that open files or reach interpreter internals are refused at deploy time
  (`check_source`) and are simply absent at run time;
- attribute access never returns a module, frame, code object or traceback, so an exposed
  object cannot be used as a path to `os` or `sys`;
- resources are bounded (`Limits`): `*`, `**` and `<<` refuse results that would be huge, as do
  the string methods and formats that pad or repeat (`ljust`, `zfill`, `replace`, `join`,
  `'%9999999d' % x`, `f'{x:>9999999}'`), and every loop iteration (for, while,
  comprehensions) counts against a budget per evaluation, so a diagram cannot exhaust a
  worker's memory or hold it in an endless loop. Not bounded: the text of a value that is
  itself large (`str()` of a list repeated by `*`); the worker's memory limit (deploy/) is
  the last line there.
"""

from __future__ import annotations

import ast
import builtins as _builtins
import operator
import re
import types
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from RestrictedPython import (
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    safe_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

# Never callable from a diagram, whatever the data contains.
DENIED_NAMES = frozenset(
    {
        "open",
        "eval",
        "exec",
        "compile",
        "globals",
        "locals",
        "vars",
        "getattr",
        "setattr",
        "delattr",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "exit",
        "quit",
        "dir",
        "__import__",
        "__builtins__",
        "object",
        "type",
        "super",
        "classmethod",
        "staticmethod",
    }
)

_FORBIDDEN_RESULTS = (
    types.ModuleType,
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
)

BUILTINS: dict[str, Any] = {k: v for k, v in safe_builtins.items() if k != "__build_class__"}
BUILTINS.update(
    {
        name: getattr(_builtins, name)
        for name in (
            "list",
            "dict",
            "tuple",
            "set",
            "frozenset",
            "sorted",
            "min",
            "max",
            "sum",
            "any",
            "all",
            "enumerate",
            "zip",
            "reversed",
            "map",
            "filter",
        )
    }
)


def _limited_range(*args: int) -> range:
    """range() as a diagram may use it: sum(range(10**12)) would hold a worker for hours."""
    result = range(*args)
    if len(result) > Limits.MAX_ITERATIONS:
        raise SandboxError(f"range() te groot (meer dan {_dutch(Limits.MAX_ITERATIONS)})")
    return result


def _dutch(n: int) -> str:
    return f"{n:,}".replace(",", ".")


BUILTINS["range"] = _limited_range

_INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "|=": operator.ior,
    "&=": operator.iand,
}

JSON_SAFE = (str, int, float, bool, type(None), date, datetime, timedelta, Decimal)


class SandboxError(Exception):
    """An expression or script that the sandbox refuses."""


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    if name.startswith("_"):
        raise SandboxError(f"attribuut {name!r} is niet toegestaan")
    if isinstance(obj, _FORBIDDEN_RESULTS):
        raise SandboxError(f"toegang tot {type(obj).__name__} is niet toegestaan")
    value = safer_getattr(obj, name)
    if isinstance(value, _FORBIDDEN_RESULTS):
        raise SandboxError(f"attribuut {name!r} geeft toegang tot interne objecten")
    if isinstance(obj, (str, bytes)):
        if name == "join":
            return _bounded_join(obj, value)
        if name in _TEXT_SIZES:
            return _bounded_text_method(obj, name, value)
    return value


def _too_big(what: str, size: int) -> None:
    if size > Limits.MAX_ITEMS:
        raise SandboxError(f"resultaat van {what} te groot (meer dan {_dutch(Limits.MAX_ITEMS)})")


def _replace_size(text: Any, old: Any, new: Any, count: int = -1) -> int:
    hits = len(text) + 1 if not old else text.count(old)
    if count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _join_size(sep: Any, items: list[Any]) -> int:
    return sum(len(i) if isinstance(i, (str, bytes)) else 0 for i in items) + len(sep) * len(items)


# Size of the result of a text method that can grow its text, from its arguments.
_TEXT_SIZES: dict[str, Callable[..., int]] = {
    "ljust": lambda text, width, *_: width,
    "rjust": lambda text, width, *_: width,
    "center": lambda text, width, *_: width,
    "zfill": lambda text, width: width,
    "expandtabs": lambda text, tabsize=8: len(text) * max(tabsize, 1),
    "replace": _replace_size,
}


def _bounded_text_method(text: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    def bounded(*args: Any, **kwargs: Any) -> Any:
        try:
            _too_big(f".{name}()", _TEXT_SIZES[name](text, *args, **kwargs))
        except TypeError:
            pass  # wrong arguments: the method itself says what is wrong
        return method(*args, **kwargs)

    return bounded


def _bounded_join(text: Any, method: Callable[..., Any]) -> Callable[..., Any]:
    def join(items: Any) -> Any:
        items = list(items)
        _too_big(".join()", _join_size(text, items))
        return method(items)

    return join


_WIDTHS = re.compile(r"\d{7,}")  # in a format spec every number is a width or a precision
# A %-conversion's width and precision (`%-12.3f`, `%*d`); literal text around it is not one.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")


_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("r"): repr, ord("s"): str, ord("a"): ascii}


def _format_value(value: Any, spec: str, conversion: int = -1) -> str:
    """An f-string field with a format spec: widths and precisions stay within the limit."""
    for digits in _WIDTHS.findall(spec):
        _too_big("opmaak", int(digits))
    if conversion in _CONVERSIONS:  # !r, !s, !a apply before the spec
        value = _CONVERSIONS[conversion](value)
    return format(value, spec)


def _percent(left: Any, right: Any) -> Any:
    """`text % values` with bounded widths (`%9999999d`, `%*d`)."""
    if isinstance(left, (str, bytes)):
        pattern = left if isinstance(left, str) else left.decode("latin-1")
        sizes = [n for spec in _PERCENT_SPEC.findall(pattern.replace("%%", "")) for n in spec]
        for size in sizes:
            if size.isdigit():
                _too_big("%-opmaak", int(size))
        if "*" in sizes:  # the width comes from the values
            values = right if isinstance(right, tuple) else (right,)
            for v in values:
                if isinstance(v, int) and not isinstance(v, bool):
                    _too_big("%-opmaak", abs(v))
    return left % right


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE:
        raise SandboxError(f"operator {op} is niet toegestaan")
    if op in ("*=", "**="):
        return Limits().binop(op[:-1], x, y)
    return _INPLACE[op](x, y)


def _apply(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


class Limits:
    """Resource limits of one evaluation (expression or script)."""

    MAX_ITERATIONS = 1_000_000  # loop iterations in all
    MAX_ITEMS = 1_000_000  # characters or elements a `*` may produce
    MAX_BITS = 100_000  # of an integer from `**` or `<<`

    def __init__(self) -> None:
        self.iterations = 0

    def tick(self) -> None:
        self.iterations += 1
        if self.iterations > self.MAX_ITERATIONS:
            raise SandboxError(
                f"script loopt te lang: meer dan {_dutch(self.MAX_ITERATIONS)} herhalingen"
            )

    def getiter(self, iterable: Any) -> Any:
        for item in default_guarded_getiter(iterable):
            self.tick()
            yield item

    def binop(self, op: str, left: Any, right: Any) -> Any:
        if op == "*":
            for seq, n in ((left, right), (right, left)):
                if isinstance(seq, (str, bytes, list, tuple)) and isinstance(n, int):
                    if len(seq) * max(n, 0) > self.MAX_ITEMS:
                        raise SandboxError(
                            f"resultaat van * te groot (meer dan {_dutch(self.MAX_ITEMS)} "
                            "elementen)"
                        )
            return left * right
        if isinstance(left, int) and isinstance(right, int) and not isinstance(right, bool):
            if op == "**" and right > 0 and abs(left) > 1:
                bits = abs(left).bit_length() * right
            elif op == "<<":
                bits = left.bit_length() + max(right, 0)
            else:
                bits = 0
            if bits > self.MAX_BITS:
                raise SandboxError(f"resultaat van {op} te groot")
        return left**right if op == "**" else left << right


_LIMITED_OPS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<"}


class _LimitingPolicy(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus calls into `Limits` for `*`, `**`, `<<` and `while`."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(node.op, ast.Mod):
            call = ast.Call(
                func=ast.Name("_percent_", ast.Load()), args=[node.left, node.right], keywords=[]
            )
            return ast.fix_missing_locations(ast.copy_location(call, node))
        op = _LIMITED_OPS.get(type(node.op))
        if op is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(op), node.left, node.right],
            keywords=[],
        )
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        call = ast.Call(
            func=ast.Name("_format_", ast.Load()),
            args=[node.value, node.format_spec, ast.Constant(node.conversion)],
            keywords=[],
        )
        formatted = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(formatted, node))

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        tick = ast.Expr(ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        node.body.insert(0, ast.copy_location(tick, node))
        return ast.fix_missing_locations(node)


def _limited_globals() -> dict[str, Any]:
    limits = Limits()
    return {"_getiter_": limits.getiter, "_tick_": limits.tick, "_binop_": limits.binop}


GUARDS: dict[str, Any] = {
    "__builtins__": BUILTINS,
    "_getattr_": guarded_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": default_guarded_getiter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "_print_": PrintCollector,
    "_percent_": _percent,
    "_format_": _format_value,
}


def check_source(source: str, mode: str = "eval") -> list[str]:
    """Everything wrong with `source` as a diagram expression (mode eval) or script (exec)."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(source, "<bpmn>", policy=_LimitingPolicy)
    problems = list(result.errors)
    if result.code is None and not problems:
        problems.append("kan niet worden gecompileerd")
    if result.code is not None:
        try:
            tree = ast.parse(source, mode=mode)
        except SyntaxError as exc:  # pragma: no cover - compile_restricted caught it first
            return [str(exc)]
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in DENIED_NAMES:
                problems.append(f"regel {node.lineno}: {node.id!r} is niet toegestaan")
            elif isinstance(node, ast.Attribute) and node.attr in ("format", "format_map"):
                # str.format reaches attributes without going through the guards
                problems.append(
                    f"regel {node.lineno}: .{node.attr}() is niet toegestaan; gebruik een f-string"
                )
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                problems.append(f"regel {node.lineno}: import is niet toegestaan")
    return problems


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> types.CodeType:
    problems = check_source(source, mode)
    if problems:
        raise SandboxError("; ".join(problems))
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    code = compiler(source, "<bpmn>", policy=_LimitingPolicy).code
    assert code is not None
    return code


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that evaluates through RestrictedPython."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__(dict(functions or {}))

    def _globals(self, context: Mapping[str, Any], external: Mapping[str, Any] | None) -> dict:
        scope: dict[str, Any] = dict(GUARDS)
        scope.update(_limited_globals())
        scope.update(self.globals)
        if external:
            scope.update(external)
        scope.update(context)
        return scope

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        code = _compiled(expression.strip(), "eval")
        return eval(code, self._globals(context, external_context))  # noqa: S307 - restricted

    def execute(
        self,
        script: str,
        context: dict[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        clash = set(self.globals) & set(context)
        if clash:
            raise SandboxError(f"taakdata overschrijft functies: {sorted(clash)}")
        code = _compiled(script, "exec")
        scope = self._globals(context, external_context)
        reserved = set(GUARDS) | set(_limited_globals()) | set(self.globals)
        reserved |= set(external_context or {})
        exec(code, scope)  # noqa: S102 - restricted
        for key in list(context):
            if key not in scope:
                del context[key]
        for key, value in scope.items():
            if key in reserved or key.startswith("_"):
                continue
            check_data_value(key, value)
            context[key] = value
        return True

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise SandboxError("service tasks run as external jobs, not inside the engine")


def check_data_value(name: str, value: Any) -> None:
    """Task data must stay plain data: it is stored, shown and exported."""
    if isinstance(value, JSON_SAFE):
        return
    if isinstance(value, (list, tuple)):
        for item in value:
            check_data_value(name, item)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise SandboxError(f"variabele {name!r}: sleutels moeten tekst zijn")
            check_data_value(name, item)
        return
    raise SandboxError(
        f"variabele {name!r} heeft type {type(value).__name__}; alleen tekst, getallen, "
        "datums, lijsten en woordenboeken kunnen in procesdata"
    )
