"""Weert, Vroegsignalering huurschulden: the corporations' terms, the return overview, AMW's
list, their pages, API and commands, the simulation generator and the demo cases."""

from app.plugins import ProcessPackage

PACKAGE = ProcessPackage(
    title="Weert",
    pages=".views:bp",
    api=".api:blp",
    cli=".cli:group",
    menu=".views:navigation_items",
    demo=".demo:load",
    generators={"weert_vroegsignalering": ".simulation:WeertSignals"},
)
