"""Call recordings: written by the ``record_call`` callflow module, read-only here."""
