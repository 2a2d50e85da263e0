"""Carriers: an account's resources and the system's (Kazoo's local and global resources)."""
