"""codeact-tui: a terminal pair-programmer whose model acts by writing Python.

The model's code runs in a WebAssembly CPython sandbox inside the user's project, and every
action is snapshotted in a shadow git store so it can be reviewed and undone.
"""

__version__ = "0.1.0"
