"""Call detail records: written by the call pipeline when a call ends, read-only here."""
