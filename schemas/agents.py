"""An ACDc agent: in Kazoo an agent is a user with the queues it may log into.

The call-center part (agent states, stats) belongs to a later issue; this is the storage
side: the agent properties a user document carries, validated here and mixed into
:class:`schemas.users.UserSchema`.
"""

from __future__ import annotations

from schemas.base import SubSchema, doc_id, integer, string_list


class AgentSchema(SubSchema):
    queues = string_list("Ids of the queues the agent may log into", item=doc_id())
    acdc_agent_priority = integer(
        "Priority of the agent when a queue picks one (higher first)", minimum=-128, maximum=128
    )
    acdc_skills = string_list("Skills the agent offers to queues")
