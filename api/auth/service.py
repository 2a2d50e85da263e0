"""Credential checks and token issue. Every failure is the same 401 (no hint of which part
was wrong)."""

from __future__ import annotations

from typing import Any

from api.accounts.service import AccountService
from api.errors import Unauthorized, ValidationFailed, field_error
from api.tokens import TokenSigner
from kazoo_tasks.docstore import DocumentStore, account_db

Document = dict[str, Any]


class AuthService:
    """Turns an api key or user credentials into a token."""

    def __init__(self, store: DocumentStore, tokens: TokenSigner) -> None:
        self.store = store
        self.tokens = tokens
        self.accounts = AccountService(store)

    def api_auth(self, api_key: str) -> tuple[str, Document]:
        """Token for the account owning ``api_key``."""
        account = self.accounts.find_one(pvt_api_key=api_key)
        if account is None or account.get("enabled") is False:
            raise Unauthorized()
        return self.tokens.issue(account["_id"], None, "api_auth"), self._answer(account, None)

    def user_auth(
        self,
        credentials: str,
        account_name: str | None,
        account_realm: str | None,
        method: str = "md5",
    ) -> tuple[str, Document]:
        """Token for the user whose credentials hash matches, in the named account."""
        if account_name:
            account = self.accounts.find_one(name=account_name)
        elif account_realm:
            account = self.accounts.find_one(realm=account_realm)
        else:
            raise ValidationFailed(
                {
                    **field_error("account_name", "required", "account_name or realm").data,
                    **field_error("account_realm", "required", "account_name or realm").data,
                }
            )
        if account is None or account.get("enabled") is False:
            raise Unauthorized()
        hash_field = "pvt_md5_auth" if method == "md5" else "pvt_sha1_auth"
        users = self.store.find(
            account_db(account["_id"]), {"pvt_type": "user", hash_field: credentials}, limit=1
        )
        if not users or users[0].get("enabled") is False:
            raise Unauthorized()
        user = users[0]
        token = self.tokens.issue(account["_id"], user["_id"], "user_auth")
        return token, self._answer(account, user)

    @staticmethod
    def _answer(account: Document, user: Document | None) -> Document:
        reseller = (account.get("pvt_tree") or [account["_id"]])[0]
        answer: Document = {
            "account_id": account["_id"],
            "account_name": account.get("name"),
            "language": account.get("language", "en-us"),
            "is_reseller": False,
            "reseller_id": reseller,
            "is_superduper_admin": account.get("pvt_superduper_admin") is True,
            "apps": [],
        }
        if user is not None:
            answer["owner_id"] = user["_id"]
            answer["priv_level"] = user.get("priv_level", "user")
        return answer
