"""``conference_feature``: join the conference whose id the caller dialed (Kazoo's
cf_conference_feature, for clients such as WebRTC phones that dial the id): a callflow
pattern captures it (Kazoo's docs: ``"patterns": ["(.{32})"]``) and the node runs as
``conference`` with that ``id`` and its own data otherwise (moderator, tones, welcome
prompt). A capture that is not a document id (32 letters or digits) goes on to ``_``, as
a missing room does."""

from __future__ import annotations

import re

from callflow.context import NodeContext
from callflow.modules.conference import Conference
from callflow.outcomes import Continue
from callflow.steps import Steps

CONFERENCE_ID = re.compile(r"^[A-Za-z0-9]{32}\Z")


class ConferenceFeature(Conference):
    """``conference`` for the room the capture group names."""

    def steps(self, ctx: NodeContext) -> Steps:
        captured = str(ctx.call.get("capture_group") or "")
        if not CONFERENCE_ID.match(captured):
            ctx.note(f"no conference id dialed ({captured[:40]!r})")
            return Continue()
        ctx.data = {**ctx.data, "id": captured}
        return (yield from super().steps(ctx))
