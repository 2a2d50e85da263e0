"""Schemathesis hooks for tests/api/test_openapi.py (loaded through ``SCHEMATHESIS_HOOKS``):
a token for an admin user of the account under test, made again whenever an answer is 401.

The run renames the account, rotates its api key and logs out (``DELETE
/v2/token_auth``), so neither an api key nor the account's name can log in again for
the whole run. The hook issues the user's token as ``user_auth`` would (the test's signing
secret, bound to the user's password as stored now, read from the test's embedded store):
a logout then only costs a new token, and every operation keeps being reached."""

from __future__ import annotations

import os
from typing import Any

import schemathesis

from api.tokens import TokenSigner
from api.users.service import token_credential
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.embedded import EmbeddedDocumentStore


@schemathesis.auth(refresh_interval=3600)
class KazooUserToken:
    """The token of ``ST_USER_ID`` of ``ST_ACCOUNT_ID`` (store ``ST_STORE_PATH``, secret
    ``ST_SECRET``)."""

    def get(self, case: Any, context: Any) -> str:
        account_id, user_id = os.environ["ST_ACCOUNT_ID"], os.environ["ST_USER_ID"]
        store = EmbeddedDocumentStore(os.environ["ST_STORE_PATH"])
        try:
            user = store.get(account_db(account_id), user_id)
        finally:
            store.close()
        signer = TokenSigner(os.environ["ST_SECRET"], 3600)
        return signer.issue(account_id, user_id, "user_auth", token_credential(user))

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "X-Auth-Token": data}
