"""The plugin contract of a callflow module (an action a callflow node names).

A module is a class registered under the entry-point group :data:`ENTRY_POINT_GROUP`
(``name = "package.module:Class"``); the node's ``module`` key is the entry-point name.
``data_schema`` is the marshmallow schema its node ``data`` must satisfy: the API
validates every node of a callflow against it when the callflow is saved, and the engine
loads the node data through it before running the module. The run-time interface is
defined by :mod:`callflow.exe` (the navigator).
"""

from __future__ import annotations

from typing import ClassVar

from marshmallow import Schema

ENTRY_POINT_GROUP = "kazoo_tasks.callflow_modules"


class CallflowModule:
    """Base of every callflow module; subclasses set ``data_schema`` and the handlers."""

    data_schema: ClassVar[type[Schema]] = Schema
