"""The test LAN of :mod:`kazoo_tasks.testing.netns` behaves as a real one when a host dies."""

from __future__ import annotations

import pytest

from kazoo_tasks.testing.netns import BRIDGE, INFRA, Lan, ip
from tests.waiting import wait_for

pytestmark = pytest.mark.faults  # needs root, as the host tests it serves (make test-long)

HOSTS = ["host-a", "host-b", "host-c"]


def _macs(lan: Lan) -> dict[str, str]:
    """Link name (without its ``@peer``) -> MAC address, in the infra namespace."""
    lines = ip("-n", lan.netns(INFRA), "-br", "link", "show").splitlines()
    return {line.split()[0].partition("@")[0]: line.split()[2] for line in lines if line}


def test_given_a_lan_when_the_host_of_its_lowest_port_dies_then_the_lan_keeps_its_mac() -> None:
    """A Linux bridge left to itself takes the lowest MAC of its ports: deleting a dead
    host's port changed the address the living hosts had cached for the infra services,
    and their connections to RabbitMQ and Redis stalled until they asked ARP again (one
    of them long enough for py-amqp's one-second ``TCP_USER_TIMEOUT``)."""
    with Lan(HOSTS) as lan:
        macs = _macs(lan)
        before = macs[BRIDGE]
        ports = {f"v{index}": host for index, host in enumerate(HOSTS)}  # netns.Lan's naming
        lowest = min(ports, key=lambda port: macs[port])
        lan.kill(ports[lowest])
        wait_for(lambda: lowest not in _macs(lan), what="the dead host's port to go")
        assert _macs(lan)[BRIDGE] == before
