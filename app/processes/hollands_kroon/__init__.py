"""Hollands Kroon, vroegsignalering with all fixed-cost partners: the demo cases."""

from app.plugins import ProcessPackage

PACKAGE = ProcessPackage(title="Hollands Kroon", demo=".demo:load")
