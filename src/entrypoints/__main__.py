"""`python -m entrypoints` is `streamview`."""

from entrypoints.cli import main

main()
