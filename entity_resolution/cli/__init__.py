"""`er`: the command line. Thin: parse options, build Settings, call the library, render with rich.

One module per command group; what they share (exit codes, consoles, the error handler, Neo4j options) is in
common.py:

    main.py     the app, the root options (--quiet, --debug, --config, --version) and the entry point main()
    common.py   EXIT_* codes, consoles, cli_errors(), Settings and Neo4j connection options, progress, summary
    run.py      validate, run, train, demo
    load.py     load (a run folder into Neo4j)
    detect.py   detect (in-process or on the graph; a dated export folder)
    neo4j.py    neo4j install | start | stop | status | schema | import (the managed server)
    lookup.py   lookup (the pseudonym of a raw identifier)
    forget.py   forget (erasure)
"""

from .main import app, main

__all__ = ["app", "main"]
