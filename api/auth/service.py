"""Credential checks and token issue. Every failure is the same 401 (no hint of which part
was wrong), and no credential is ever logged."""

from __future__ import annotations

import logging
from typing import Any

from api.accounts.service import AccountService
from api.errors import Unauthorized, ValidationFailed, field_error
from api.passwords import verify_or_waste
from api.tokens import TokenSigner
from api.users.service import token_credential
from callflow.router import number_forms, number_owner
from kazoo_tasks.docstore import DocumentStore, account_db
from kazoo_tasks.docstore.soft_delete import is_deleted

Document = dict[str, Any]

log = logging.getLogger(__name__)


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
            log.info("api_auth refused")
            raise Unauthorized()
        token = self.tokens.issue(account["_id"], None, "api_auth", account["pvt_api_key"])
        log.info("api_auth: token issued for account %s", account["_id"])
        return token, self.answer(account, None)

    def user_auth(self, body: Document) -> tuple[str, Document]:
        """Token for the user of the named account whose ``username`` and ``password``
        match (argon2), or whose ``credentials`` digest matches (Kazoo's md5/sha1)."""
        account = self._account(body)
        if "credentials" in body:
            hash_field = "pvt_md5_auth" if body.get("method", "md5") == "md5" else "pvt_sha1_auth"
            user = self._user(account, {hash_field: body["credentials"]})
        elif "username" in body and "password" in body:
            user = self._user(account, {"username": body["username"]})
            stored = user.get("pvt_password_hash") if user is not None else None
            if not verify_or_waste(stored, body["password"]):
                user = None
        else:
            raise ValidationFailed(
                {
                    **field_error(
                        "credentials", "required", "credentials, or username and password"
                    ).data,
                    **field_error(
                        "password", "required", "credentials, or username and password"
                    ).data,
                }
            )
        if account is None or user is None:
            log.info("user_auth refused")
            raise Unauthorized()
        token = self.tokens.issue(account["_id"], user["_id"], "user_auth", token_credential(user))
        log.info("user_auth: token issued for user %s of account %s", user["_id"], account["_id"])
        return token, self.answer(account, user)

    def _account(self, body: Document) -> Document | None:
        """The enabled account a login names: by ``account_name``, ``account_realm`` or
        ``phone_number`` (the account holding that DID), as Kazoo finds it."""
        if body.get("account_name"):
            account = self.accounts.find_one(name=body["account_name"])
        elif body.get("account_realm"):
            account = self.accounts.find_one(realm=body["account_realm"])
        elif body.get("phone_number"):
            account = self._account_of_number(body["phone_number"])
        else:
            needed = "account_name, account_realm or phone_number"
            raise ValidationFailed(
                {
                    **field_error("account_name", "required", needed).data,
                    **field_error("account_realm", "required", needed).data,
                    **field_error("phone_number", "required", needed).data,
                }
            )
        return account if account is not None and account.get("enabled") is not False else None

    def _account_of_number(self, number: str) -> Document | None:
        """The account holding ``number`` (as written, or in another form of the same
        North American number: ``+1NXXNXXXXXX``, ``1NXXNXXXXXX``, ``NXXNXXXXXX``)."""
        for form in number_forms(number):
            owner = number_owner(self.store, form)
            if owner is not None:
                return self.accounts.lookup(owner)
        return None

    def _user(self, account: Document | None, match: Document) -> Document | None:
        if account is None:
            return None
        users = self.store.find(account_db(account["_id"]), {"pvt_type": "user", **match})
        live = [u for u in users if not is_deleted(u) and u.get("enabled") is not False]
        return live[0] if live else None

    @staticmethod
    def answer(account: Document, user: Document | None) -> Document:
        """What a login (or ``GET /v2/token_auth``) tells about the token's owner."""
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
