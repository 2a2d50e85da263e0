"""Time-of-day rules for temporal_route."""
