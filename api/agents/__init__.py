"""ACDc agents: users who take calls from queues, their live status and counters."""
