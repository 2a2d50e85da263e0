"""Call-center queues (ACDc storage side)."""
