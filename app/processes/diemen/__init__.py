"""Diemen, the Uitvoerder's work process (bijlage 3): the demo cases."""

from app.plugins import ProcessPackage

PACKAGE = ProcessPackage(title="Diemen", demo=".demo:load")
