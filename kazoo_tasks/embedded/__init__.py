"""Embedded services: what runs when no production server is configured."""
