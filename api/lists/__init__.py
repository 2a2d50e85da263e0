"""Match lists and their entries (Kazoo's ``lists``)."""
