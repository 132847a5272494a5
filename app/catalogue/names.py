"""Names in catalogues and diagrams: how a lane's label becomes a group key, and which
variables an expression reads."""

from __future__ import annotations

import ast
import re
import unicodedata


def group_key(label: str) -> str:
    """A lane label as a stable group key: 'Sociaal Wijkteam' -> 'sociaal-wijkteam'."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def names_in(expression: str) -> set[str]:
    """Variables an expression reads (for checking flows of data against the catalogue)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return set()
    return {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
