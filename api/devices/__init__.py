"""Devices: SIP phones and softphones, optionally owned by a user."""
