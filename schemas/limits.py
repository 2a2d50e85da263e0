"""An account's call limits (Kazoo's ``limits`` schema): flat-rate trunks and hard limits
on concurrent calls, in the account's ``limits`` document."""

from __future__ import annotations

from schemas.base import DocumentSchema, boolean, integer, string_list


class LimitsSchema(DocumentSchema):
    pvt_type = "limits"

    allow_prepay = boolean("Allow per-minute calls when no credit is left", default=True)
    authz_resource_types = string_list(
        "Resource types that authorize a call, bypassing limits and billing", default=[]
    )
    burst_trunks = integer("Two-way flat-rate trunks used when no other is free", minimum=0)
    calls = integer("Hard limit on the total number of calls", minimum=0)
    inbound_trunks = integer("Inbound flat-rate trunks", minimum=0)
    outbound_trunks = integer("Outbound flat-rate trunks", minimum=0)
    resource_consuming_calls = integer(
        "Hard limit on the calls that consume a carrier resource", minimum=0
    )
    twoway_trunks = integer("Two-way flat-rate trunks", minimum=0)
