"""The data catalogue: the process contract (parties, phases, fields, consents, settings,
systems, signal) and the rule for one value of a field (values.py). A leaf under the engine
and the domains: it imports only the foundations (clock, text rules)."""

from app.catalogue.model import Access, Catalogue, Field
from app.catalogue.names import group_key, names_in
from app.catalogue.parser import (
    PLACEHOLDER,
    CatalogueError,
    catalogue_path,
    for_process,
    from_json,
    load,
    parse,
)
from app.catalogue.values import FieldProblem, check_values, clean

__all__ = [
    "PLACEHOLDER",
    "Access",
    "Catalogue",
    "CatalogueError",
    "Field",
    "FieldProblem",
    "check_values",
    "clean",
    "catalogue_path",
    "for_process",
    "from_json",
    "group_key",
    "load",
    "names_in",
    "parse",
]
