"""Metaflows: DTMF sequences a caller presses during a call (Kazoo's ``metaflows``)."""
