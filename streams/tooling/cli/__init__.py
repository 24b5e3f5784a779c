"""The ``dafnck`` command line: one module per subcommand group, wired in ``main``."""
