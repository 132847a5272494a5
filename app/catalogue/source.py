"""Changing a catalogue file the way a person would: only the values that changed are
rewritten, so its comments, order, anchors and line breaks stay as written (saving without
edits gives the same bytes).

`rewrite(text, new)` compares the file's tree with the edited tree and replaces the text of
the smallest nodes that differ: a changed scalar or flow collection is written again in flow
style on its spot; a key added to a block mapping goes after its last key, a removed key's
lines go. An alias (`*par1`) whose value changes gets its own value; an anchored value
(`&par1`) that changes moves its anchor, with the old value, to the first alias of it, so the
other fields that share it keep what they had. The result is loaded again and compared with
the edited tree; if the two differ (a construction this does not know), the whole file is
written anew and `Rewritten.reformatted` says so: never a file that means something else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from app import yaml_safe


@dataclass
class _Node:
    kind: str  # scalar, map, seq, alias
    start: int
    end: int
    column: int
    flow: bool = False
    anchor: str | None = None
    alias: str | None = None
    items: list[tuple[_Node, _Node]] = field(default_factory=list)  # map
    children: list[_Node] = field(default_factory=list)  # seq


@dataclass(frozen=True)
class Rewritten:
    text: str
    reformatted: bool  # comments and layout were lost (see the module's docstring)


class _CannotPatch(Exception):
    pass


def _event_loader(text: str) -> Any:
    """libyaml's parser (about 13 times faster here: each save of the catalogue editor parses
    the whole file) where it reports the same character positions as PyYAML's own, which is
    everywhere but after a byte-order mark (libyaml drops it from its count)."""
    if yaml.__with_libyaml__ and not text.startswith("\ufeff"):
        return yaml.CSafeLoader
    return yaml.SafeLoader


def _compose(text: str) -> _Node:
    """The document's node tree with character positions, aliases kept as aliases."""
    events = iter(yaml.parse(text, Loader=_event_loader(text)))

    def node(event: Any) -> _Node:
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            return _Node("alias", mark.index, event.end_mark.index, mark.column, alias=event.anchor)
        if isinstance(event, yaml.ScalarEvent):
            end = event.end_mark.index
            while end > mark.index and text[end - 1] == "\n":  # a block scalar's line ends
                end -= 1
            return _Node("scalar", mark.index, end, mark.column, anchor=event.anchor)
        if isinstance(event, yaml.MappingStartEvent):
            result = _Node("map", mark.index, mark.index, mark.column, bool(event.flow_style))
            result.anchor = event.anchor
            while not isinstance(nxt := next(events), yaml.MappingEndEvent):
                result.items.append((node(nxt), node(next(events))))
        elif isinstance(event, yaml.SequenceStartEvent):
            result = _Node("seq", mark.index, mark.index, mark.column, bool(event.flow_style))
            result.anchor = event.anchor
            while not isinstance(nxt := next(events), yaml.SequenceEndEvent):
                result.children.append(node(nxt))
        else:
            raise _CannotPatch(f"onverwacht YAML-onderdeel {type(event).__name__}")
        last = [v for _, v in result.items] or result.children
        # A block collection ends with its last value (its end event sits at the next token,
        # after any comments between); a flow one at its closing bracket.
        result.end = nxt.end_mark.index if result.flow else (last[-1].end if last else mark.index)
        return result

    for event in events:
        if isinstance(event, yaml.DocumentStartEvent):
            return node(next(events))
    raise _CannotPatch("leeg document")


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same kind (True is not 1)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _flow(value: Any) -> str:
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=10**6, sort_keys=False
    )
    return text.removesuffix("\n").removesuffix("\n...").strip()


WIDTH = 100


def _block(value: Any, column: int) -> str:
    """A value written in block style at `column` (its first line starts there); a nested
    collection that fits on its line in flow style, as the catalogues write `lezen` rules."""
    if not isinstance(value, (dict, list)) or not value:
        return _flow(value)
    lines: list[str] = []
    pairs = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, item in pairs:
        head = "-" if key is None else f"{_flow(key)}:"
        flow = _flow(item)
        nested = isinstance(item, (dict, list)) and item
        if not nested or column + len(head) + 1 + len(flow) <= WIDTH:
            lines.append(f"{head} {flow}")
        elif key is None:
            lines.append(f"- {_block(item, column + 2)}")
        else:
            lines.append(f"{head}\n{' ' * (column + 2)}{_block(item, column + 2)}")
    return ("\n" + " " * column).join(lines)


class _Patcher:
    def __init__(self, text: str, root: _Node) -> None:
        self.text = text
        self.root = root
        self.edits: list[tuple[int, int, str]] = []
        self.anchors: dict[str, _Node] = {}
        self.aliases: dict[str, list[_Node]] = {}
        self.moved: dict[str, Any] = {}  # anchor: the old value its first alias takes over
        self._index(root)

    def _index(self, node: _Node) -> None:
        if node.anchor:
            self.anchors[node.anchor] = node
        if node.alias:
            self.aliases.setdefault(node.alias, []).append(node)
        for key, value in node.items:
            self._index(key)
            self._index(value)
        for child in node.children:
            self._index(child)

    def replace(self, node: _Node, new: Any) -> None:
        written = _flow(new) if node.flow or node.kind != "map" and node.kind != "seq" else None
        if written is None:
            written = _block(new, node.column)
        self.edits.append((node.start, node.end, written))

    def walk(self, node: _Node, old: Any, new: Any) -> None:
        if _same(old, new):
            return
        if node.kind == "alias":
            self.replace(node, new)
            return
        if node.anchor and self.aliases.get(node.anchor):
            # The value is shared: it changes here only; the anchor goes to the first alias.
            self.moved[node.anchor] = old
            self.replace(node, new)
            return
        if node.kind == "map" and isinstance(old, dict) and isinstance(new, dict):
            self._mapping(node, old, new)
        elif (
            node.kind == "seq"
            and isinstance(old, list)
            and isinstance(new, list)
            and len(old) == len(new)
        ):
            for child, a, b in zip(node.children, old, new, strict=True):
                self.walk(child, a, b)
        else:
            self.replace(node, new)

    def _mapping(self, node: _Node, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        if len(node.items) != len(old):  # merge keys or duplicates: not mapped one to one
            raise _CannotPatch("mapping met samenvoegsleutels")
        pairs = list(zip(old, node.items, strict=True))
        added = [k for k in new if k not in old]
        removed = [k for k in old if k not in new]
        if node.flow and (added or removed) or (removed and len(removed) == len(old)):
            self.replace(node, new)
            return
        for key, (_key_node, value_node) in pairs:
            if key in new:
                self.walk(value_node, old[key], new[key])
        for key, (key_node, value_node) in pairs:
            if key in removed:
                self.edits.append(self._lines(key_node.start, value_node.end, ""))
        if added:
            last = pairs[-1][1][1]
            at = self._line_end(last.end)
            indent = " " * node.column
            lines = "".join(
                f"{indent}{_flow(key)}: {_block(new[key], node.column + 2)}\n"
                if not isinstance(new[key], (dict, list)) or not new[key]
                else f"{indent}{_flow(key)}:\n{' ' * (node.column + 2)}"
                f"{_block(new[key], node.column + 2)}\n"
                for key in added
            )
            prefix = "" if at > 0 and self.text[at - 1] == "\n" else "\n"
            self.edits.append((at, at, prefix + lines))

    def _line_end(self, index: int) -> int:
        """After the newline of the line `index` is on (or the end of the text)."""
        newline = self.text.find("\n", index)
        return len(self.text) if newline < 0 else newline + 1

    def _lines(self, start: int, end: int, replacement: str) -> tuple[int, int, str]:
        line_start = self.text.rfind("\n", 0, start) + 1
        if self.text[line_start:start].strip():
            raise _CannotPatch("sleutel niet aan het begin van een regel")
        return line_start, self._line_end(end), replacement

    def result(self) -> str:
        for anchor, users in self.aliases.items():
            node = self.anchors.get(anchor)
            if node is None or (anchor not in self.moved and not self._inside(node)):
                continue
            old = self.moved[anchor] if anchor in self.moved else self._value(node)
            for alias in users:  # the first alias that stays takes the anchor over
                if not self._inside(alias):
                    self.edits.append((alias.start, alias.end, f"&{anchor} {_flow(old)}"))
                    break
        text = self.text
        last = len(text) + 1
        for start, end, replacement in sorted(self.edits, reverse=True):
            if end > last:
                raise _CannotPatch("overlappende wijzigingen")
            text = text[:start] + replacement + text[end:]
            last = start
        return text

    def _value(self, node: _Node) -> Any:
        """A value as written (indented as in the file, so a block collection loads too)."""
        return yaml_safe.load(" " * node.column + self.text[node.start : node.end])

    def _inside(self, node: _Node) -> bool:
        return any(s <= node.start and node.end <= e for s, e, _ in self.edits)


def rewrite(text: str, new: Any) -> Rewritten:
    """The file's text with the edited tree `new` written into it (see the module)."""
    try:
        patcher = _Patcher(text, _compose(text))
        patcher.walk(patcher.root, yaml_safe.load(text), new)
        result = patcher.result()
        if _same(yaml_safe.load(result), new):
            return Rewritten(result, False)
    except (_CannotPatch, yaml.YAMLError, StopIteration):
        pass
    dumped = yaml.safe_dump(
        new, default_flow_style=None, allow_unicode=True, width=100, sort_keys=False
    )
    return Rewritten(dumped, True)


def tree(text: str) -> Any:
    """The file's tree to edit: every alias its own copy (the loader hands out one shared
    object per anchor, and a change to one field's rules must not reach the others)."""
    return _copy(yaml_safe.load(text))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value
