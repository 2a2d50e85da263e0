"""Kazoo's callflow catalogue through the API: a module Kazoo ships that is not
implemented here is refused with an error saying so, a fax module with the reason it is
left out, and a name Kazoo does not know as unknown; Kazoo modules that are installed save."""

from __future__ import annotations

from callflow import registry
from callflow.kazoo_modules import KAZOO_MODULES, LEFT_OUT
from tests.crossbar import LoggedIn


def test_given_kazoos_catalogue_then_it_holds_its_78_module_names_once_each() -> None:
    assert len(KAZOO_MODULES) == len(set(KAZOO_MODULES)) == 78
    assert set(LEFT_OUT) == {"faxbox", "receive_fax", "fax_detect", "skel"}
    assert set(LEFT_OUT) <= set(KAZOO_MODULES)


def test_given_every_kazoo_module_not_installed_when_a_callflow_names_it_then_the_api_says_it_is_not_implemented(  # noqa: E501
    root: LoggedIn,
) -> None:
    installed = set(registry.module_names())
    missing = [name for name in KAZOO_MODULES if name not in installed]
    children = {name: {"module": name, "data": {}} for name in [*missing, "no_such_module"]}

    saved = root.client.put(
        f"/accounts/{root.id}/callflows",
        {"numbers": ["7000"], "flow": {"module": "answer", "data": {}, "children": children}},
    )

    assert saved.status_code == 400
    errors = saved.json()["data"]
    refused = {key.split(".")[2] for key in errors}
    assert refused == {*missing, "no_such_module"}
    for name in missing:
        message = errors[f"flow.children.{name}.module"]["enum"]["message"]
        if name in LEFT_OUT:
            assert message == f"Kazoo callflow module '{name}' is left out: {LEFT_OUT[name]}"
        else:
            assert message == f"Kazoo callflow module '{name}' is not implemented yet"
    unknown = errors["flow.children.no_such_module.module"]["enum"]["message"]
    assert unknown == "Unknown callflow module 'no_such_module'"


def test_given_a_kazoo_module_that_is_installed_when_saved_then_it_is_accepted(
    root: LoggedIn,
) -> None:
    saved = root.client.put(
        f"/accounts/{root.id}/callflows",
        {"numbers": ["7001"], "flow": {"module": "answer", "data": {"skip_module": "false"}}},
    )

    assert saved.status_code == 201, saved.text
    assert saved.json()["data"]["flow"]["data"] == {"skip_module": False}
