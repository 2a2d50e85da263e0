"""``/v2/accounts/{account_id}/registrations``: live SIP registrations of an account."""
