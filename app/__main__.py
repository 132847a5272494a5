"""`python -m app ...` is the same as the `stroom` command."""

from app.cli import main

main()
