"""Accounts: the tenants, nested in one another (``pvt_tree``), each with its database."""
