"""Conference rooms."""
