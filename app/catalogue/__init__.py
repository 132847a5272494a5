"""The data catalogue: the process contract (parties, phases, fields, consents, settings,
systems, signal). A leaf under the engine and the domains: it imports nothing of the app."""

from app.catalogue.model import Access, Catalogue, Field
from app.catalogue.names import group_key, names_in
from app.catalogue.parser import CatalogueError, catalogue_path, from_json, load, parse

__all__ = [
    "Access",
    "Catalogue",
    "CatalogueError",
    "Field",
    "catalogue_path",
    "from_json",
    "group_key",
    "load",
    "names_in",
    "parse",
]
