"""One module per command (or command group). Each defines ``register(subparsers)`` and keeps
heavy imports inside its handler, so that `monitor --help` does not load the database stack."""
