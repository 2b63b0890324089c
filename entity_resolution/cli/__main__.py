"""`python -m entity_resolution.cli`: the same as `er`."""

from .main import main

main()
