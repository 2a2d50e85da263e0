"""Marshmallow schemas of every stored document: one source for validation and the API model."""
