"""Haarlem, Convenant Preventie huisuitzettingen: the art. 9.5 figures and the demo cases."""

from app.plugins import ProcessPackage

PACKAGE = ProcessPackage(
    title="Haarlem",
    cli=".cli:group",
    demo=".demo:load",
    cli_renamed={"haarlem-statistieken": "haarlem statistics"},
)
