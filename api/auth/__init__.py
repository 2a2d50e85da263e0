"""Logging in: ``PUT /v2/api_auth`` (account api key) and ``PUT /v2/user_auth`` (user
credentials hash + account name or realm) return a signed, expiring token."""
