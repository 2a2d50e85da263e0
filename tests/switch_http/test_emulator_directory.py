"""The emulator authenticates devices the way FreeSWITCH does: the same mod_xml_curl
look-up (checked field by field against the recorded ones), the digest checked against
the answer, 200/403 as the real switch, and the directory's variables on the channel of
an authorised call (so CHANNEL_PARK carries the account)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from api.server import RunningServer
from kazoo_tasks.esl.emulator import CallRefused, Credentials, Emulator
from kazoo_tasks.esl.emulator.client import EslClient
from tests.switch_http.conftest import REALM, SWITCH_PASSWORD, Phone
from tests.switch_http.recorded import by_method, recorded


def directory_url(server: RunningServer) -> str:
    host_port = server.url.removeprefix("http://")
    return f"http://freeswitch:{SWITCH_PASSWORD}@{host_port}/switch/directory"


@pytest.fixture
def emulator(server: RunningServer) -> Iterator[Emulator]:
    with Emulator(
        hostname="fs1.example.net", time_scale=0.02, directory_url=directory_url(server)
    ) as emu:
        yield emu


def registered(emulator: Emulator, user: str) -> bool:
    return emulator._on_loop(lambda switch: switch.find_registration(user, REALM) is not None)


def test_given_a_device_when_the_phone_registers_with_its_password_then_200_and_registered(
    emulator: Emulator, phone: Phone
):
    with EslClient("127.0.0.1", emulator.port, timeout=5) as esl:
        esl.subscribe("CUSTOM", "sofia::register")

        status = emulator.register("1001", realm=REALM, password="test1001")

        assert status == 200
        event = esl.wait_event("sofia::register")
        assert event.headers["username"] == "1001" and event.headers["realm"] == REALM
    assert registered(emulator, "1001")
    assert emulator.unregister("1001", realm=REALM, password="test1001") is True
    assert not registered(emulator, "1001")


def test_given_a_device_when_the_phone_registers_with_a_wrong_password_then_403(
    emulator: Emulator, phone: Phone
):
    assert emulator.register("1001", realm=REALM, password="guess1001") == 403
    assert emulator.register("1002", realm=REALM, password="test1001") == 403  # unknown user
    assert not registered(emulator, "1001")


def test_given_a_device_when_it_calls_with_its_password_then_the_park_carries_its_account(
    emulator: Emulator, phone: Phone
):
    with EslClient("127.0.0.1", emulator.port, timeout=5) as esl:
        esl.subscribe("CHANNEL_PARK")

        call = emulator.place_call(
            "1000",
            caller_id_number="1001",
            caller_id_name="1001",
            credentials=Credentials("1001", "test1001", REALM, contact_port=5063),
        )

        park = esl.wait_event("CHANNEL_PARK", uuid_=call.uuid).headers
    assert park["variable_ecallmgr_Account-ID"] == phone.account.id
    assert park["variable_ecallmgr_Authorizing-ID"] == phone.device["id"]
    assert park["variable_ecallmgr_Authorizing-Type"] == "device"
    assert park["variable_ecallmgr_Owner-ID"] == phone.user["id"]
    assert park["variable_effective_caller_id_number"] == "1001"
    # what the real switch put on the recorded authorised call
    assert park["variable_sip_authorized"] == "true"
    assert park["variable_sip_auth_username"] == "1001"
    assert park["variable_sip_auth_realm"] == REALM
    assert park["variable_user_name"] == "1001" and park["variable_domain_name"] == REALM
    call.hangup()


def test_given_a_device_when_it_calls_with_a_wrong_password_then_refused_without_a_channel(
    emulator: Emulator, phone: Phone
):
    with pytest.raises(CallRefused) as refused:
        emulator.place_call("1000", credentials=Credentials("1001", "wrong-pass", REALM))

    assert refused.value.result.status == 403
    assert emulator.live_channels == 0


# -- the look-up itself, against the recorded ones ---------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """Answers every look-up with the recorded answer for 1001 (password test1001)."""

    seen: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.seen.append((dict(self.headers), body))
        answer = by_method("REGISTER").answer.encode()
        if b"user=1001&" not in body:
            answer = next(r for r in recorded() if "unknown" in r.title).answer.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    Recorder.seen = []
    http = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_address[1]}/directory"
    http.shutdown()
    http.server_close()


@pytest.mark.parametrize("method", ["REGISTER", "INVITE"])
def test_given_the_recorded_directory_when_the_emulator_authenticates_then_it_asks_as_freeswitch(
    recorder: str, method: str
):
    with Emulator(hostname="fs1.example.net", time_scale=0.02, directory_url=recorder) as emu:
        device = Credentials("1001", "test1001", REALM, contact_port=5062, user_agent="sipp-reg")
        if method == "REGISTER":
            assert (
                emu.register("1001", realm=REALM, password="test1001", user_agent="sipp-reg") == 200
            )
        else:
            emu.place_call("1000", caller_id_number="1001", credentials=device).hangup()
        assert emu.register("1001", realm=REALM, password="not-test1001") == 403

    headers, body = Recorder.seen[0]
    expected = by_method(method)
    sent = parse_qsl(body.decode(), keep_blank_values=True)
    assert [name for name, _ in sent] == [name for name, _ in parse_qsl(expected.body.decode())]
    fields, recorded_fields = dict(sent), expected.fields
    for name in ("hostname", "section", "tag_name", "key_name", "key_value", "Event-Name"):
        assert fields[name] == recorded_fields[name]
    for name in ("action", "sip_profile", "sip_auth_uri", "sip_auth_method", "user", "domain"):
        assert fields[name] == recorded_fields[name]
    assert fields["Event-Calling-Function"] == "sofia_reg_parse_auth"
    # FreeSWITCH's encoding: ',' literal, ':' and '@' escaped
    assert b"Event-Date-GMT=" in body and b"%3A" in body and b"," in body
    assert headers["User-Agent"] == "freeswitch-xml/1.0"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
