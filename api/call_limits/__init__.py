"""``/v2/accounts/{account_id}/limits``: an account's call limits (Kazoo's ``limits``)."""
