"""Voicemail boxes (their messages: api.vmboxes.messages)."""
