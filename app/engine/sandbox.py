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
- every evaluation runs under a budget (`app.engine.budget`): time, memory, loop iterations and
  the depth of functions a script defines; the compiler puts a check at the top of every loop
  body, comprehension step, function and lambda;
- no single operation may grow without bound, since nothing can interrupt one long C operation:
  integers from `+`, `*`, `**`, `<<`, `pow()` stay under `Limits.MAX_BITS`; sequences from
  `+`, `*`, `+=`, `.extend()`, slice assignment and the text methods that pad, repeat or
  translate stay under `Limits.MAX_ITEMS`, as does the text that `str()`, `repr()`, f-strings,
  `%` and `print` make of a value (a list holding the same long list a million times is
  short in memory but not as text); sets and dicts built from a sequence hash it one budgeted
  step at a time, so crafted hash collisions cannot hold a worker for minutes;
- an error is reported with its line; one whose message would be huge is replaced, and
  `except:` catches only Exception, so neither the budget's interruption nor SIGTERM's
  SystemExit can be swallowed (nor can `return` in a `finally`).
"""

from __future__ import annotations

import ast
import builtins as _builtins
import functools
import math
import operator
import re
import threading
import time
import types
from collections.abc import Callable, Mapping, Sized
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
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from app.engine.budget import WATCHDOG, Budget, Interrupted, dutch
from app.engine.errors import SandboxError

__all__ = ["SandboxEnvironment", "SandboxError", "Limits", "check_source", "check_data_value"]

FILENAME = "<string>"  # what SpiffWorkflow looks for to report a script's line

# Exceptions a diagram must not catch: the budget's interruption, SIGTERM's SystemExit.
_UNCATCHABLE = {"BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"}

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
        *_UNCATCHABLE,
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

BUILTINS: dict[str, Any] = {
    k: v for k, v in safe_builtins.items() if k != "__build_class__" and k not in _UNCATCHABLE
}
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

JSON_SAFE = (str, int, float, bool, type(None), date, datetime, timedelta, Decimal)
MAX_NESTING = 100  # of lists and dicts in task data


def _limited_range(*args: int) -> range:
    """range() as a diagram may use it: sum(range(10**12)) would hold a worker for hours."""
    result = range(*args)
    if len(result) > Limits.MAX_ITERATIONS:
        raise SandboxError(f"range() te groot (meer dan {dutch(Limits.MAX_ITERATIONS)})")
    return result


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
_BINOPS = {"+": operator.add, "*": operator.mul, "**": operator.pow, "<<": operator.lshift}
_SEQUENCES = (str, bytes, list, tuple)
_HASHED = (dict, set, frozenset)  # already hashed once, within the budget
_NUMBERS = frozenset({int, float, bool})
_SHORT_TEXT = frozenset({str, int, float, bool, type(None)})  # str() of these is bounded


def text_size(value: Any, limit: int) -> int:
    """About how many characters str() or repr() makes of `value`; stops counting past
    `limit`, so the cost is bounded even for a list that holds one long list many times."""
    total = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, (str, bytes)):
            total += len(item) + 3
        elif isinstance(item, int):
            total += item.bit_length() * 3 // 10 + 2
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + 2 * len(item)
            if total <= limit:
                stack.extend(item)
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            if total <= limit:
                stack.extend(item.keys())
                stack.extend(item.values())
        elif isinstance(item, Decimal):
            total += len(str(item))
        else:
            total += 100  # float, date, function: a short repr
        if total > limit:
            break
    return total


def _int_bits(op: str, a: int, b: int) -> int:
    """Bits of the integer `a op b` (an upper bound), without computing it."""
    if op == "+":
        return max(a.bit_length(), b.bit_length()) + 1
    if op == "*":
        return a.bit_length() + b.bit_length()
    if op == "<<":
        return a.bit_length() + max(b, 0)
    if b <= 0 or abs(a) <= 1:  # **
        return 1
    return int(b * math.log2(abs(a))) + 1


def _sequence_size(op: str, left: Any, right: Any) -> int:
    if op == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, Sized):
            return len(left) + len(right)
    elif op == "*":
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(n, int):
                return len(seq) * max(n, 0)
    return 0


def guarded_getattr(obj: Any, name: str, default: Any = None) -> Any:
    if name.startswith("_"):
        raise SandboxError(f"attribuut {name!r} is niet toegestaan")
    if isinstance(obj, _FORBIDDEN_RESULTS):
        raise SandboxError(f"toegang tot {type(obj).__name__} is niet toegestaan")
    value = safer_getattr(obj, name)
    if isinstance(value, _FORBIDDEN_RESULTS):
        raise SandboxError(f"attribuut {name!r} geeft toegang tot interne objecten")
    return value


def _replace_size(text: Any, old: Any, new: Any, count: int = -1) -> int:
    hits = len(text) + 1 if not old else text.count(old)
    if count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _join_size(sep: Any, items: list[Any]) -> int:
    return sum(len(i) if isinstance(i, (str, bytes)) else 0 for i in items) + len(sep) * len(items)


def _translate_size(text: Any, table: Any) -> int:
    values = table.values() if isinstance(table, dict) else table
    longest = max((len(v) for v in values if isinstance(v, (str, bytes))), default=1)
    return len(text) * max(longest, 1)


# Size of the result of a text method that can grow its text, from its arguments.
_TEXT_SIZES: dict[str, Callable[..., int]] = {
    "ljust": lambda text, width, *_: width,
    "rjust": lambda text, width, *_: width,
    "center": lambda text, width, *_: width,
    "zfill": lambda text, width: width,
    "expandtabs": lambda text, tabsize=8: len(text) * max(tabsize, 1),
    "replace": _replace_size,
    "translate": _translate_size,
    "join": _join_size,
}
# Methods of sets and dicts that hash every item of a sequence in one C call.
_HASHING_METHODS = frozenset(
    {
        "update",
        "union",
        "intersection",
        "difference",
        "symmetric_difference",
        "intersection_update",
        "difference_update",
        "symmetric_difference_update",
        "issubset",
        "issuperset",
        "isdisjoint",
        "fromkeys",
    }
)

_WIDTHS = re.compile(r"\d{7,}")  # in a format spec every number is a width or a precision
# A %-conversion's width and precision (`%-12.3f`, `%*d`); literal text around it is not one.
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?")
_CONVERSIONS: dict[int, Callable[[Any], str]] = {ord("r"): repr, ord("s"): str, ord("a"): ascii}


# Guards that need no budget.
GUARDS: dict[str, Any] = {
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": lambda func, *args, **kwargs: func(*args, **kwargs),
}


class _GuardedType:
    """A builtin type as a diagram sees it: a call goes through a guard, while isinstance(),
    issubclass() and its (guarded) attributes work as for the type itself."""

    def __init__(self, kind: type, call: Callable[..., Any], limits: Limits) -> None:
        self._kind = kind
        self._call = call
        self._limits = limits

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self._kind)

    def __subclasscheck__(self, cls: type) -> bool:
        return issubclass(cls, self._kind)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._limits.getattr(self._kind, name)

    def __repr__(self) -> str:
        return repr(self._kind)


class _ListWriter:
    """`lst[a:b] = items` as a diagram may use it: a slice assignment can grow a list."""

    __slots__ = ("_limits", "_target")

    def __init__(self, limits: Limits, target: list[Any]) -> None:
        self._limits = limits
        self._target = target

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(key, slice):
            value = list(self._limits.getiter(value))
            removed = len(range(*key.indices(len(self._target))))
            self._limits.allow_items("slice-toewijzing", len(self._target) - removed + len(value))
        self._target[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target[key]


class _BoundedPrint(PrintCollector):
    def __init__(self, limits: Limits, _getattr_: Any = None) -> None:
        super().__init__(_getattr_)
        self._limits = limits
        self._size = 0

    def write(self, text: str) -> None:
        self._size += len(text)
        self._limits.allow_items("print()", self._size, 4)
        super().write(text)

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        self._limits.allow_text("print()", objects)
        super()._call_print(*objects, **kwargs)


class Limits(Budget):
    """The guards of one evaluation, on top of its budget of time, memory and iterations."""

    MAX_ITEMS = 1_000_000  # characters or elements one operation may produce
    MAX_BITS = 4_096  # of an integer an operation produces (1,234 decimal digits)
    MAX_ROUND_DIGITS = 1_000  # round(x, n): round(5, -10**8) computes 10**(10**8)

    def __init__(self) -> None:
        super().__init__()
        self.running = False
        self.guards = self._guards()

    def _guards(self) -> dict[str, Any]:
        """The names the compiled code calls, bound to this budget."""
        hashing = self._hashing
        builtins = dict(BUILTINS)
        builtins.update(
            {
                "str": _GuardedType(str, self.text, self),
                "set": _GuardedType(set, hashing(set), self),
                "frozenset": _GuardedType(frozenset, hashing(frozenset), self),
                "dict": _GuardedType(dict, hashing(dict), self),
                "repr": self.repr,
                "pow": self.pow,
                "sum": self.sum,
                "round": self.round,
            }
        )
        return {
            **GUARDS,
            "__builtins__": builtins,
            "_getiter_": self.getiter,
            "_tick_": self.tick,
            "_enter_": self.enter,
            "_leave_": self.leave,
            "_binop_": self.binop,
            "_inplacevar_": self.inplacevar,
            "_format_": self.format_value,
            "_percent_": self.percent,
            "_juel_mod_": self.juel_mod,
            "_getattr_": self.getattr,
            "_getitem_": self.getitem,
            "_write_": self.write,
            "_print_": self.printer,
        }

    # -- sizes ---------------------------------------------------------------------------------

    def allow_items(self, what: str, size: int, width: int = 8) -> None:
        if size > self.MAX_ITEMS:
            raise SandboxError(
                f"resultaat van {what} te groot (meer dan {dutch(self.MAX_ITEMS)} elementen)"
            )
        self.grow(size * width)

    def allow_text(self, what: str, value: Any) -> None:
        if type(value) not in _SHORT_TEXT:
            self.allow_items(what, text_size(value, self.MAX_ITEMS), 4)

    def _allow_binop(self, op: str, left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):  # bools are ints as well
            if _int_bits(op, left, right) > self.MAX_BITS:
                raise SandboxError(
                    f"resultaat van {op} te groot (meer dan {dutch(self.MAX_BITS)} bits)"
                )
        else:
            size = _sequence_size(op, left, right)
            if size:
                self.allow_items(op, size)

    # -- operators -----------------------------------------------------------------------------

    def binop(self, op: str, left: Any, right: Any) -> Any:
        if type(left) in _NUMBERS and type(right) in _NUMBERS:  # the common case, kept cheap
            if op == "+":
                return self._sum(left + right)
            if type(left) is float or type(right) is float:  # overflows, never grows
                return _BINOPS[op](left, right)
        self._allow_binop(op, left, right)
        return _BINOPS[op](left, right)

    def _sum(self, result: Any) -> Any:
        # Adding costs no more than reading its operands, so checking afterwards is enough.
        if type(result) is int and result.bit_length() > self.MAX_BITS:
            raise SandboxError(f"resultaat van + te groot (meer dan {dutch(self.MAX_BITS)} bits)")
        return result

    def inplacevar(self, op: str, x: Any, y: Any) -> Any:
        if op == "+=" and type(x) in _NUMBERS and type(y) in _NUMBERS:
            return self._sum(x + y)  # counters and totals: the common case, kept cheap
        if op not in _INPLACE:
            raise SandboxError(f"operator {op} is niet toegestaan")
        if op in ("+=", "*=", "**="):
            if op == "+=" and isinstance(x, list) and not isinstance(y, Sized):
                y = list(self.getiter(y))
            self._allow_binop(op[:-1], x, y)
        return _INPLACE[op](x, y)

    def format_value(self, value: Any, spec: str = "", conversion: int = -1) -> str:
        """An f-string field: the text of the value and the widths in its spec are bounded."""
        if type(value) not in _SHORT_TEXT:
            self.allow_text("opmaak", value)
            if isinstance(value, Decimal) and value.is_finite():  # f'{Decimal("1e999999"):f}'
                self.allow_items("opmaak", abs(value.adjusted()), 4)
        if spec:
            for digits in _WIDTHS.findall(spec):
                self.allow_items("opmaak", int(digits), 4)
        if conversion != -1:  # !r, !s, !a apply before the spec
            value = _CONVERSIONS[conversion](value)
        return format(value, spec)

    def percent(self, left: Any, right: Any) -> Any:
        """`text % values` with bounded widths (`%9999999d`, `%*d`) and values."""
        if isinstance(left, (str, bytes)):
            pattern = left if isinstance(left, str) else left.decode("latin-1")
            sizes = [n for spec in _PERCENT_SPEC.findall(pattern.replace("%%", "")) for n in spec]
            for size in sizes:
                if size.isdigit():
                    self.allow_items("%-opmaak", int(size), 4)
            if "*" in sizes:  # the width comes from the values
                values = right if isinstance(right, tuple) else (right,)
                for v in values:
                    if isinstance(v, int) and not isinstance(v, bool):
                        self.allow_items("%-opmaak", abs(v), 4)
            self.allow_items("%-opmaak", len(left) + text_size(right, self.MAX_ITEMS), 4)
        return left % right

    def juel_mod(self, left: Any, right: Any) -> Any:
        """An expression's `%` or `mod` as JUEL (Java) computes it on numbers: the remainder
        has the dividend's sign (-7 mod 3 = -1, 7 mod -3 = 1); on text, Python's `%`
        formatting as before (JUEL has none, so no Camunda diagram relies on it)."""
        numbers = (int, float, Decimal)
        if (
            isinstance(left, numbers)
            and isinstance(right, numbers)
            and not isinstance(left, bool)
            and not isinstance(right, bool)
        ):
            if isinstance(left, int) and isinstance(right, int):
                remainder = abs(left) % abs(right)  # ZeroDivisionError for 0, as Java
                return -remainder if left < 0 else remainder
            if right == 0:
                raise ZeroDivisionError("mod door nul")
            return math.fmod(left, right) if not isinstance(left, Decimal) else left % right
        return self.percent(left, right)

    # -- access --------------------------------------------------------------------------------

    def getiter(self, iterable: Any) -> Any:
        return self.steps(iterable)

    def getitem(self, obj: Any, index: Any) -> Any:
        if type(index) is slice:  # a copy
            self.check()
        return obj[index]

    def write(self, obj: Any) -> Any:
        if type(obj) is list:
            return _ListWriter(self, obj)
        return full_write_guard(obj)

    def printer(self, _getattr_: Any = None) -> _BoundedPrint:
        return _BoundedPrint(self, _getattr_)

    def getattr(self, obj: Any, name: str, default: Any = None) -> Any:
        self.check()
        value = guarded_getattr(obj, name)
        if isinstance(obj, (str, bytes)) and name in _TEXT_SIZES:
            return self._bounded_text_method(obj, name, value)
        if obj is str or obj is bytes:  # str.join(sep, items): the same guards, unbound
            if name in _TEXT_SIZES:
                return self._unbound(obj, name)
        elif isinstance(obj, (set, frozenset, dict)) or obj in (set, frozenset, dict):
            if name in _HASHING_METHODS:
                return self._hashing_method(value)
        elif type(obj) is list and name == "extend":
            return self._bounded_extend(obj, value)
        elif type(obj) is int and name == "to_bytes":
            return self._bounded_to_bytes(value)
        return value

    def _bounded_text_method(self, text: Any, name: str, method: Callable[..., Any]) -> Any:
        def bounded(*args: Any, **kwargs: Any) -> Any:
            if name == "join" and args:  # a generator of the script's ticks on its own
                args = (list(args[0]), *args[1:])
            try:
                size = _TEXT_SIZES[name](text, *args, **kwargs)
            except TypeError:
                size = 0  # wrong arguments: the method itself says what is wrong
            self.allow_items(f".{name}()", size, 4)
            return method(*args, **kwargs)

        return bounded

    def _unbound(self, kind: type, name: str) -> Callable[..., Any]:
        def method(text: Any, *args: Any, **kwargs: Any) -> Any:
            if not isinstance(text, kind):
                raise TypeError(f"{kind.__name__}.{name}() verwacht een {kind.__name__}")
            return self.getattr(text, name)(*args, **kwargs)

        return method

    def _hashing_method(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def hashing(*args: Any, **kwargs: Any) -> Any:
            return method(*(self._one_by_one(a) for a in args), **kwargs)

        return hashing

    def _hashing(self, kind: type) -> Callable[..., Any]:
        def build(*args: Any, **kwargs: Any) -> Any:
            return kind(*(self._one_by_one(a) for a in args), **kwargs)

        return build

    def _one_by_one(self, iterable: Any) -> Any:
        """Hashing a sequence item by item within the budget: crafted integers that share a
        hash make set(sequence) quadratic, minutes for 100,000 of them in one C call."""
        if isinstance(iterable, _HASHED) or not hasattr(iterable, "__iter__"):
            return iterable
        return self.getiter(iterable)

    def _bounded_extend(self, target: list[Any], method: Callable[..., Any]) -> Any:
        def extend(items: Any) -> None:
            if not isinstance(items, Sized):
                items = list(self.getiter(items))
            self.allow_items(".extend()", len(target) + len(items))
            method(items)

        return extend

    def _bounded_to_bytes(self, method: Callable[..., Any]) -> Any:
        def to_bytes(length: int = 1, *args: Any, **kwargs: Any) -> bytes:
            self.allow_items(".to_bytes()", length, 1)
            return method(length, *args, **kwargs)

        return to_bytes

    # -- builtins ------------------------------------------------------------------------------

    def text(self, *args: Any, **kwargs: Any) -> str:
        if len(args) == 1 and not kwargs:
            self.allow_text("str()", args[0])
        return str(*args, **kwargs)

    def repr(self, value: Any) -> str:
        self.allow_text("repr()", value)
        return repr(value)

    def pow(self, base: Any, exp: Any, mod: Any = None) -> Any:
        if mod is None:
            return self.binop("**", base, exp)
        for n in (exp, mod):
            if isinstance(n, int) and n.bit_length() > self.MAX_BITS:
                raise SandboxError(f"pow(): getal te groot (meer dan {dutch(self.MAX_BITS)} bits)")
        return pow(base, exp, mod)

    def sum(self, iterable: Any, /, start: Any = 0) -> Any:
        if not isinstance(start, (list, tuple)):
            return sum(iterable, start)
        total = start
        for item in self.getiter(iterable):  # sum(lists, []) is quadratic in one C call
            total = self.binop("+", total, item)
        return total

    def round(self, number: Any, ndigits: Any = None) -> Any:
        if isinstance(ndigits, int) and abs(ndigits) > self.MAX_ROUND_DIGITS:
            raise SandboxError(f"round(): meer dan {dutch(self.MAX_ROUND_DIGITS)} cijfers")
        return round(number) if ndigits is None else round(number, ndigits)


_LIMITED_OPS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<", ast.Add: "+"}


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


class _LimitingPolicy(RestrictingNodeTransformer):
    """RestrictedPython's checks, plus calls into `Limits`: operators that grow, formatting,
    a budget tick in every `while` body, function and lambda, and bare `except`."""

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        if isinstance(node.op, ast.Mod):
            call = _call("_percent_", node.left, node.right)
            return ast.fix_missing_locations(ast.copy_location(call, node))
        if isinstance(node.op, ast.MatMult):  # JUEL's `%`/`mod` (app/engine/expressions.py)
            call = _call("_juel_mod_", node.left, node.right)
            return ast.fix_missing_locations(ast.copy_location(call, node))
        op = _LIMITED_OPS.get(type(node.op))
        if op is None:
            return node
        call = _call("_binop_", ast.Constant(op), node.left, node.right)
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        spec = node.format_spec if node.format_spec is not None else ast.Constant("")
        call = _call("_format_", node.value, spec, ast.Constant(node.conversion))
        formatted = ast.FormattedValue(value=call, conversion=-1, format_spec=None)
        return ast.fix_missing_locations(ast.copy_location(formatted, node))

    def visit_Starred(self, node: ast.Starred) -> Any:
        # [*a, *a] doubles a list in one C call; step through it on the budget instead.
        node = self.node_contents_visit(node)
        if isinstance(node.ctx, ast.Load):
            node.value = ast.copy_location(_call("_getiter_", node.value), node.value)
        return ast.fix_missing_locations(node)

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_tick_")), node))
        return ast.fix_missing_locations(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        node = super().visit_FunctionDef(node)
        body = ast.Try(
            body=node.body,
            handlers=[],
            orelse=[],
            finalbody=[ast.Expr(_call("_leave_"))],
        )
        node.body = [ast.Expr(_call("_enter_")), body]
        for new in node.body:
            ast.copy_location(new, node)
        return ast.fix_missing_locations(node)

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        node = super().visit_Lambda(node)
        # `_tick_()` returns None, so `None or body` is the body.
        node.body = ast.copy_location(
            ast.BoolOp(op=ast.Or(), values=[_call("_tick_"), node.body]), node.body
        )
        return ast.fix_missing_locations(node)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> Any:
        node = super().visit_ExceptHandler(node)
        if node.type is None:  # a bare except would catch SystemExit and the watchdog's stop
            node.type = ast.copy_location(ast.Name("Exception", ast.Load()), node)
        return ast.fix_missing_locations(node)


def _escapes_finally(tree: ast.AST) -> list[ast.stmt]:
    """`return`, `break` or `continue` in a finally block: it silently drops the exception
    being raised, even the budget's."""
    found: list[ast.stmt] = []

    def walk(node: ast.AST, in_loop: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Return) or (
                isinstance(child, (ast.Break, ast.Continue)) and not in_loop
            ):
                found.append(child)
            walk(child, in_loop or isinstance(child, (ast.For, ast.While)))

    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for stmt in node.finalbody:
                if isinstance(stmt, (ast.Return, ast.Break, ast.Continue)):
                    found.append(stmt)
                if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    walk(stmt, isinstance(stmt, (ast.For, ast.While)))
    return found


def check_source(source: str, mode: str = "eval") -> list[str]:
    """Everything wrong with `source` as a diagram expression (mode eval) or script (exec)."""
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    try:
        result = compiler(source, FILENAME, policy=_LimitingPolicy)
        tree = ast.parse(source, mode=mode) if result.code is not None else None
    except (RecursionError, MemoryError):
        return ["te diep genest om te compileren"]
    except SyntaxError as exc:  # pragma: no cover - compile_restricted reports these itself
        return [str(exc)]
    problems = list(result.errors)
    if result.code is None and not problems:
        problems.append("kan niet worden gecompileerd")
    if tree is not None:
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
            elif isinstance(node, (ast.BinOp, ast.AugAssign)) and isinstance(node.op, ast.MatMult):
                if mode == "exec":  # in an expression `@` is JUEL's `mod` (expressions.py)
                    problems.append(f"regel {node.lineno}: @ is niet toegestaan")
        for stmt in _escapes_finally(tree):
            word = type(stmt).__name__.lower()
            problems.append(f"regel {stmt.lineno}: {word} in een finally-blok is niet toegestaan")
    return problems


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: str) -> types.CodeType:
    problems = check_source(source, mode)
    if problems:
        raise SandboxError("; ".join(problems))
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    code = compiler(source, FILENAME, policy=_LimitingPolicy).code
    assert code is not None
    return code


MAX_ERROR_TEXT = 10_000  # characters of an error message from a diagram


def _script_line(exc: BaseException) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _too_big_to_report(exc: BaseException) -> bool:
    """An error whose text, or that of an error it happened during, would be huge: reporting
    it (incident, traceback) would do what the guards stop the script itself from doing."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 20:
        if text_size(current.args, MAX_ERROR_TEXT) > MAX_ERROR_TEXT:
            return True
        current = current.__cause__ or current.__context__
        seen += 1
    return current is not None


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment that evaluates through RestrictedPython."""

    def __init__(self, functions: Mapping[str, Callable[..., Any]] | None = None) -> None:
        super().__init__({name: _on_thread_clock(f) for name, f in (functions or {}).items()})

    def _globals(
        self, limits: Limits, context: Mapping[str, Any], external: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        scope: dict[str, Any] = dict(limits.guards)
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
        limits = _limits()
        scope = self._globals(limits, context, external_context)
        result = _run(limits, lambda: eval(code, scope))  # noqa: S307 - restricted
        if type(result) not in _SHORT_TEXT and text_size(result, Limits.MAX_ITEMS) > (
            Limits.MAX_ITEMS
        ):
            raise SandboxError(f"resultaat te groot (meer dan {dutch(Limits.MAX_ITEMS)} tekens)")
        return result

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
        limits = _limits()
        scope = self._globals(limits, context, external_context)
        reserved = set(self.globals) | set(external_context or {})  # guards start with _
        _run(limits, lambda: exec(code, scope))  # noqa: S102 - restricted
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


_THREAD = threading.local()


def _on_thread_clock(function: Callable[..., Any]) -> Callable[..., Any]:
    """A registered function runs uninstrumented: before it runs, the evaluation starts
    reading the thread's CPU clock, so its time counts as what it really cost (the budget
    counts at most the check interval of wall time before its first check)."""

    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        limits: Limits | None = getattr(_THREAD, "current", None)
        if limits is not None:
            limits.cpu.start(time.monotonic())
        return function(*args, **kwargs)

    return timed


def _limits() -> Limits:
    """This thread's budget and guards, reset for a new evaluation; a new one for an evaluation
    inside an evaluation (a registered function that evaluates)."""
    limits: Limits | None = getattr(_THREAD, "limits", None)
    if limits is None:
        limits = _THREAD.limits = Limits()
    elif limits.running:
        limits = Limits()
    else:
        limits.reset()
    return limits


def _run(limits: Limits, run: Callable[[], Any]) -> Any:
    """Run compiled code under its budget and the watchdog; every way it can overrun ends in
    one SandboxError, raised outside any handler so it drags no huge exception along."""
    if limits.seconds <= 0:  # the enclosing evaluation_budget is spent
        raise SandboxError(limits.time_message())
    watch = WATCHDOG.watch(limits)
    problem: str | None = None
    line: int | None = None
    used = 0.0
    limits.running = True
    outer: Limits | None = getattr(_THREAD, "current", None)
    _THREAD.current = limits
    try:
        try:
            result = run()
        finally:
            _THREAD.current = outer
            limits.running = False
            used = limits.finish()
            WATCHDOG.unwatch(watch)
    except Interrupted as exc:
        problem, line = limits.time_message(), _script_line(exc)
    except RecursionError as exc:
        problem, line = "recursie te diep", _script_line(exc)
    except MemoryError as exc:
        problem, line = "script gebruikt te veel geheugen", _script_line(exc)
    except SandboxError as exc:
        problem, line = str(exc), exc.line or _script_line(exc)
    except Exception as exc:
        overran = watch.fired or used > limits.seconds
        if limits.exceeded is None and not overran and not _too_big_to_report(exc):
            raise
        problem = f"{type(exc).__name__} met een te lange foutmelding"
        line = _script_line(exc)
    if limits.exceeded is not None:  # also when the script caught it and carried on
        problem = limits.exceeded
    elif watch.fired or used > limits.seconds:  # in code without checks of its own
        problem = limits.time_message()
    if problem is not None:
        raise SandboxError(problem, line)
    return result


def check_data_value(name: str, value: Any) -> None:
    """Task data must stay plain data of a bounded size: it is stored, shown and exported."""
    if type(value) in _SHORT_TEXT:  # the common case, kept cheap
        if type(value) is str and len(value) > Limits.MAX_ITEMS:
            raise SandboxError(
                f"variabele {name!r} is te groot (meer dan {dutch(Limits.MAX_ITEMS)} tekens)"
            )
        return
    size = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack and size <= Limits.MAX_ITEMS:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
            for key in item:
                if not isinstance(key, str):
                    raise SandboxError(f"variabele {name!r}: sleutels moeten tekst zijn")
                size += len(key)
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            size += _scalar_size(name, item)
            continue
        if depth >= MAX_NESTING:
            raise SandboxError(f"variabele {name!r} is te diep genest (meer dan {MAX_NESTING})")
        size += 1 + len(item)  # each item counts at least 1, a text its length
        if size > Limits.MAX_ITEMS:
            break
        for child in children:
            if isinstance(child, (dict, list, tuple)):
                stack.append((child, depth + 1))
            elif isinstance(child, str):
                size += len(child)
            elif not isinstance(child, JSON_SAFE):
                _scalar_size(name, child)
    if size > Limits.MAX_ITEMS:
        raise SandboxError(
            f"variabele {name!r} is te groot (meer dan {dutch(Limits.MAX_ITEMS)} tekens "
            "en elementen)"
        )


def _scalar_size(name: str, value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, JSON_SAFE):
        return 1
    raise SandboxError(
        f"variabele {name!r} heeft type {type(value).__name__}; alleen tekst, getallen, "
        "datums, lijsten en woordenboeken kunnen in procesdata"
    )
