"""Emails from a flow on the whole pipeline, through a real SMTP server (aiosmtpd) this
test starts: ``missed_call_alert`` mails its recipients (addresses, and users' emails)
when an inbound call ends unanswered, not for an answered one nor for a call from the
account's own phone; ``notification`` mails during the flow or at the call's end; a
temporary refusal is tried again; bad data is refused at save time."""

from __future__ import annotations

import email
import threading
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller

from api.documents import DocumentService
from api.users.resource import SPEC as USERS
from kazoo_tasks.testing.services import free_port
from tests.e2e.conftest import TONE, assert_refused, node
from tests.waiting import wait_for

CALLER = "Alice Example (+14155550100)"


class Mailbox:
    """An SMTP server's handler keeping what it accepts; the first ``refuse`` DATA
    commands are answered 451 (a temporary refusal)."""

    def __init__(self, refuse: int = 0) -> None:
        self.messages: list[Message] = []
        self.attempts = 0
        self.refuse = refuse
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's)
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.refuse:
                return "451 4.3.0 try again later"
            parsed = email.message_from_bytes(envelope.content)
            parsed["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
            self.messages.append(parsed)
        return "250 OK"

    def wait(self, count: int) -> list[Message]:
        wait_for(lambda: len(self.messages) >= count, 30, f"{count} email(s)")
        return list(self.messages)


@pytest.fixture
def smtp_server() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@pytest.fixture
def mail_stack(stack_factory, smtp_server):
    """The stack that sends through the test's SMTP server."""
    return stack_factory({"smtp_host": "127.0.0.1", "smtp_port": smtp_server[1]})


def _user_with_email(store, account) -> str:
    data = {"first_name": "Bob", "last_name": "Example", "email": "bob@example.net"}
    return DocumentService(store, USERS).create(account.id, data)["_id"]


def _call(stack, account, number: str, **options):
    call = stack.emulator.place_call(number, variables=account.variables, **options)
    call.wait_hangup(timeout=30)
    account.wait_cdr(call.uuid)
    return call


def test_given_a_missed_inbound_call_then_its_recipients_are_emailed_once_the_call_ends(
    mail_stack, smtp_server, store, account
):
    box, _ = smtp_server
    bob = _user_with_email(store, account)
    recipients = [
        {"type": "user", "id": bob},
        {"type": "email", "id": ["support@example.net", "bob@example.net"]},
    ]
    alert = {"recipients": recipients}
    account.callflow(
        ["5700"],
        node("missed_call_alert", alert, then=node("answer", then=node("play", {"id": TONE}))),
    )
    account.callflow(["5701"], node("missed_call_alert", alert, then=node("hangup")))
    answered = _call(mail_stack, account, "5700")  # answered: no alert

    missed = _call(mail_stack, account, "5701")

    [message] = box.wait(1)
    assert message["Subject"] == f"Missed call from {CALLER}"
    assert message["X-Envelope-To"] == "bob@example.net, support@example.net"
    body = message.get_payload().replace("\r\n", "\n")
    assert f"Call ID: {missed.uuid}" in body and "To: 5701" in body
    assert answered.uuid not in body


def test_given_a_call_from_the_accounts_own_phone_then_no_alert_is_asked(stack, store, account):
    flow = node("missed_call_alert", {"recipients": [{"type": "email", "id": "a@example.net"}]})
    account.callflow(["5702"], flow)
    variables = {**account.variables, "ecallmgr_Authorizing-Type": "device"}

    call = stack.emulator.place_call("5702", variables=variables)

    call.wait_hangup(timeout=30)
    notes = [e.get("note") for e in account.wait_cdr(call.uuid)["trace"]]
    assert "not an inbound call (device): no alert" in notes


@pytest.mark.parametrize("send_at", ["callflow_exec", "channel_destroy"])
def test_given_a_notification_then_it_is_emailed_with_its_template_and_comments(
    mail_stack, smtp_server, account, send_at
):
    box, _ = smtp_server
    data = {
        "send_at": send_at, "template_id": "my_custom_template", "comments": "VIP line",
        "recipients": [{"type": "email", "id": "ops@example.net"}],
    }  # fmt: skip
    account.callflow(["5703"], node("notification", data, then=node("play", {"id": TONE})))

    call = _call(mail_stack, account, "5703")

    [message] = box.wait(1)
    assert message["Subject"] == f"my_custom_template: call from {CALLER}"
    assert message["To"] == "ops@example.net"
    body = message.get_payload().replace("\r\n", "\n")
    assert body.startswith("VIP line\n") and f"Call ID: {call.uuid}" in body


def test_given_the_smtp_server_refuses_once_then_the_email_is_sent_on_the_next_try(
    mail_stack, smtp_server, account
):
    box, _ = smtp_server
    box.refuse = 1
    data = {"template_id": "t", "recipients": [{"type": "email", "id": "ops@example.net"}]}
    account.callflow(["5704"], node("notification", data))

    _call(mail_stack, account, "5704")

    assert len(box.wait(1)) == 1 and box.attempts == 2


@pytest.mark.parametrize(
    ("module", "data", "field"),
    [
        ("missed_call_alert", {}, "recipients"),
        ("missed_call_alert", {"recipients": [{"type": "fax", "id": "x"}]}, "recipients"),
        (
            "missed_call_alert",
            {"recipients": [{"type": "email", "id": "not-an-address"}]},
            "recipients",
        ),
        ("notification", {"recipients": [{"type": "user", "id": 12}]}, "recipients"),
        ("notification", {"send_at": "later"}, "send_at"),
        ("notification", {"notification_media": ["pigeon"]}, "notification_media"),
    ],
)
def test_given_bad_notification_data_when_saved_then_it_is_refused(account, module, data, field):
    assert_refused(account, "5705", node(module, data), field)
