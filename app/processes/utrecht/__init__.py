"""Utrecht, Voorkom Huisuitzetting: the demo cases."""

from app.plugins import ProcessPackage

PACKAGE = ProcessPackage(title="Utrecht", demo=".demo:load")
