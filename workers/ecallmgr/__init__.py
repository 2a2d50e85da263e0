"""ecallmgr: the FreeSWITCH listener.

One inbound Event Socket connection per configured FreeSWITCH node (one active process
per node, guarded by a Redis lease): the events of the calls we control go into the call
pipeline (:mod:`kazoo_tasks.inbox`), call commands from the node's queue go out as ESL
frames. docs/ecallmgr.md is the operator's guide.

Modules: :mod:`.connection` (the ESL connection, a greenswitch subclass),
:mod:`.intake` (reader-side filter and bounded hand-off), :mod:`.publisher` (hand-off to
Redis and the broker), :mod:`.command_consumer` (command queue to ESL),
:mod:`.lease` (one active per node), :mod:`.supervisor` (a node's life cycle),
:mod:`.stats` (counters), :mod:`.backoff`, :mod:`.cli`.
"""
