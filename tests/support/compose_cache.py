"""The catalogue editor's tests save every field of every catalogue without edits (77 fields
in Haarlem's), and each save composes the same file's YAML node tree again with the
pure-Python event parser: two thirds of tests/modelling/test_catalogue_editor.py. The tree
depends only on the text and `rewrite` only reads it, so a second compose of the same text
returns the first one's tree. Every text is still composed once. Tests only.
"""

from __future__ import annotations

from typing import Any

from app.catalogue import source

_trees: dict[str, Any] = {}
KEEP = 32  # texts; the oldest goes first (edited texts are many and used once)


def install() -> None:
    original = source._compose
    if getattr(original, "_stroom_cached", False):
        return

    def cached(text: str) -> Any:
        tree = _trees.get(text)
        if tree is None:
            tree = original(text)  # a text that cannot be composed raises, and is not kept
            if len(_trees) >= KEEP:
                del _trees[next(iter(_trees))]
            _trees[text] = tree
        return tree

    cached._stroom_cached = True  # type: ignore[attr-defined]
    source._compose = cached  # type: ignore[assignment]
