"""Emails a callflow sends (Kazoo's notifications from ``missed_call_alert`` and
``notification``, which Kazoo's teletype renders and mails): a Celery task on the
housekeeping queue, off the call's path, through the SMTP server the settings name
(``KAZOO_SMTP_*``, docs/configuration.md).

The request names the recipients as Kazoo's schemas do (``{"type": "email", "id": address
or [addresses]}``, ``{"type": "user", "id": user id or [ids]}``: the user's ``email``);
they are resolved when the task runs. A connection error, a timeout or a temporary (4xx)
refusal tries again after 2, 4, 8... seconds, ``KAZOO_SMTP_TRIES`` times in all; a
permanent (5xx) refusal is logged and dropped. Without ``KAZOO_SMTP_HOST`` nothing is
sent (logged). A task published twice (a worker dying at that moment) mails twice.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from celery import Task, shared_task

from callflow.documents import read_document
from kazoo_tasks import services
from kazoo_tasks.config import Settings
from kazoo_tasks.docstore import account_db
from kazoo_tasks.docstore.base import DocumentStore

log = logging.getLogger(__name__)

EMAIL_TASK = "kazoo.housekeeping.callflow_email"
MAX_BACKOFF = 60


def call_email(
    call: Mapping[str, Any],
    subject: str,
    recipients: list[dict[str, Any]],
    lines: list[str],
    at: float,
) -> dict[str, Any]:
    """The email request for ``call``: ``subject``, a body of ``lines`` then the call's
    facts (caller, number called, time in UTC, call id)."""
    caller = f"{call.get('caller_id_name') or ''} <{call.get('caller_id_number') or ''}>"
    moment = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    facts = [
        f"From: {caller.strip()}", f"To: {call.get('request_user') or call.get('to') or ''}",
        f"At: {moment}", f"Call ID: {call.get('call_id')}",
    ]  # fmt: skip
    return {
        "subject": subject, "body": "\n".join([*lines, *facts]) + "\n",
        "recipients": recipients, "call_id": call.get("call_id"),
    }  # fmt: skip


def recipient_addresses(
    store: DocumentStore, account_id: str, recipients: list[dict[str, Any]]
) -> list[str]:
    """The addresses ``recipients`` name, in order, each once; a user without an email,
    or that does not exist, gives none (Kazoo's ``find_email_addresses``)."""
    found: list[str] = []
    for recipient in recipients:
        ids = recipient.get("id")
        ids = [ids] if isinstance(ids, str) else list(ids or [])
        if recipient.get("type") == "user":
            ids = [_user_email(store, account_id, user_id) for user_id in ids]
        elif recipient.get("type") != "email":
            continue
        found += [a for a in ids if a and "@" in a and a not in found]
    return found


def _user_email(store: DocumentStore, account_id: str, user_id: str) -> str:
    user = read_document(store, account_db(account_id), user_id)
    if not user or user.get("pvt_type") != "user":
        return ""
    return str(user.get("email") or "")


def compose(settings: Settings, to: list[str], subject: str, body: str) -> EmailMessage:
    """The email: from ``KAZOO_SMTP_FROM`` to ``to``, plain text."""
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    message.set_content(body)
    return message


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server (raises smtplib's and the socket's errors)."""
    assert settings.smtp_host
    server = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    with server as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)


def _permanent(error: Exception) -> bool:
    code = getattr(error, "smtp_code", None)
    if code is None and isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [answer[0] for answer in error.recipients.values()]
        return bool(codes) and all(c >= 500 for c in codes)
    return isinstance(code, int) and code >= 500


@shared_task(name=EMAIL_TASK, bind=True, acks_late=True, ignore_result=True)
def callflow_email(
    self: Task, account_id: str, email: dict[str, Any], ended: dict[str, Any] | None = None
) -> bool:
    """Send one email: ``recipients`` (Kazoo's form), ``subject``, ``body``, ``call_id``;
    with ``unanswered_only``, only if the call was never answered. ``ended`` is what
    ``ctx.at_call_end`` adds (``answered_at``...) when the email waits for the call's end.
    Returns whether the server took it."""
    settings: Settings = self.app.kazoo_settings  # type: ignore[attr-defined]
    call_id = email.get("call_id", "")
    if email.get("unanswered_only") and (ended or {}).get("answered_at"):
        log.info("call %s: answered, no %s", call_id, email["subject"])
        return False
    if not settings.smtp_host:
        log.warning("call %s: %s not emailed: KAZOO_SMTP_HOST is unset", call_id, email["subject"])
        return False
    store = services.process_document_store(settings)
    to = recipient_addresses(store, account_id, email.get("recipients") or [])
    if not to:
        log.warning("call %s: %s: no recipient has an address", call_id, email["subject"])
        return False
    try:
        deliver(settings, compose(settings, to, email["subject"], email["body"]))
    except OSError as error:  # smtplib's errors too; a 5xx is told apart by its code
        attempt = self.request.retries + 1
        if _permanent(error) or attempt >= settings.smtp_tries:
            log.warning("call %s: email to %s given up: %r", call_id, to, error)
            return False
        log.warning("call %s: email to %s failed (%r), trying again", call_id, to, error)
        raise self.retry(
            countdown=min(2**attempt, MAX_BACKOFF), max_retries=settings.smtp_tries - 1
        ) from error
    log.info("call %s: emailed %s to %s", call_id, email["subject"], to)
    return True
