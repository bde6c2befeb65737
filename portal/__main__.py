"""`python -m portal …` is the `portal` command, wherever pip put the console script."""

from portal.cli import main

main()
