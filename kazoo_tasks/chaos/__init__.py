"""``kazoo-tasks chaos``: calls through the real pipeline while its services are killed."""
