"""`python -m conectafy`: the `conectafy` command (the demo starts its children this way)."""

from conectafy.cli import main

main()
