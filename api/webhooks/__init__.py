"""Webhooks: HTTP callbacks on call events."""
