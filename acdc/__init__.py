"""ACDc, the call center (queues and agents): built by a later issue; documents live in schemas/."""
