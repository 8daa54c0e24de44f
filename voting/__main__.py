"""`python -m voting ...` runs the `voting` command line."""

from voting.cli import main

main()
