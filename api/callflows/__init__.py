"""Callflows: the numbers and patterns of an account, and the tree each one runs."""
