"""Sets of time-of-day rules for temporal_route."""
