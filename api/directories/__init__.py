"""Directories: the users a caller reaches by name (the ``directory`` callflow module)."""
