"""YAML as the project reads it: the safe loader, in libyaml's C version when installed (a
catalogue of the five processes parses in a tenth of the time of the pure-Python loader; the
result is the same).

A catalogue is read several times per request with the same text (the catalogue editor's
save reads the file to edit it, again to patch it, then the checks read the result; each
form-editor check reads the process's catalogue), and even the C loader builds the tree in
Python: 25-70 ms for one of the five catalogues, a copy of the tree about 1 ms. So the last
few long texts keep their tree, and every caller gets its own copy: a caller may edit what it
got, as with a fresh load, and the copy keeps the loader's sharing (an alias is the same
object as its anchor, also in a cycle), so an alias bomb stays as small as the loader made it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import yaml

LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
YAMLError = yaml.YAMLError

KEEP = 16  # texts whose tree is kept; the least recently read goes first
SHORT = 2048  # characters: shorter texts load faster than they are looked up and copied
LONG = 512 * 1024  # characters: longer texts (an upload) are not kept, so 16 of them stay small
_trees: OrderedDict[str, Any] = OrderedDict()
_lock = threading.Lock()


def load(text: str) -> Any:
    if len(text) < SHORT or len(text) > LONG:
        return yaml.load(text, Loader=LOADER)  # noqa: S506 - a safe loader
    with _lock:
        tree = _trees.get(text, _trees)
        if tree is not _trees:
            _trees.move_to_end(text)
    if tree is _trees:  # not kept (None is a tree too: an empty document)
        tree = yaml.load(text, Loader=LOADER)  # noqa: S506 - a refusal raises, is not kept
        with _lock:
            _trees[text] = tree
            while len(_trees) > KEEP:
                _trees.popitem(last=False)
    return _copy(tree, {})


def _copy(value: Any, made: dict[int, Any]) -> Any:
    """A deep copy of what the safe loader makes (dicts, lists, sets, tuples of !!pairs and
    immutable scalars), each shared object copied once."""
    if isinstance(value, (dict, list, tuple, set)):
        known = made.get(id(value))
        if known is not None:
            return known
    if isinstance(value, dict):
        result: dict[Any, Any] = {}
        made[id(value)] = result
        for key, item in value.items():
            result[key] = _copy(item, made)
        return result
    if isinstance(value, list):
        items: list[Any] = []
        made[id(value)] = items
        items.extend(_copy(item, made) for item in value)
        return items
    if isinstance(value, tuple):  # !!pairs and !!omap: tuples cannot refer to themselves
        made[id(value)] = copied = tuple(_copy(item, made) for item in value)
        return copied
    if isinstance(value, set):  # !!set: its members are hashable, so immutable here
        made[id(value)] = members = set(value)
        return members
    return value
