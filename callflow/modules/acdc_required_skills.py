"""``acdc_required_skills``: add skills the caller needs from an agent, or take some away
(Kazoo's cf_acdc_required_skills, ``add`` and ``remove``); a later ``acdc_member`` offers
the caller only to agents who have them all (the user document's ``acdc_skills``). The
flow continues to ``_``."""

from __future__ import annotations

from acdc.skills import REQUIRED_SKILLS_KVS
from callflow.acdc import skill_list
from callflow.context import NodeContext
from callflow.module import CallflowModule, ModuleData
from callflow.outcomes import Continue, Outcome


class AcdcRequiredSkillsSchema(ModuleData):
    """Kazoo's acdc_required_skills data."""

    add = skill_list("skills the caller needs from now on")
    remove = skill_list("skills the caller no longer needs")


class AcdcRequiredSkills(CallflowModule):
    """Changes the call's required skills, then goes on."""

    data_schema = AcdcRequiredSkillsSchema

    def start(self, ctx: NodeContext) -> Outcome:
        needed = set(ctx.kvs_fetch(REQUIRED_SKILLS_KVS, [])) | set(ctx.data["add"])
        needed -= set(ctx.data["remove"])
        ctx.kvs_store(REQUIRED_SKILLS_KVS, sorted(needed))
        ctx.note(f"required skills: {', '.join(sorted(needed)) or 'none'}")
        return Continue()
