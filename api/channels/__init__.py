"""Live calls (Kazoo's channels): read from the call engine's state in Redis."""
