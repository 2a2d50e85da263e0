"""Functions: JavaScript that makes a callflow for a call (the ``function`` callflow module)."""
