"""Skills: what an agent can do (the user document's ``acdc_skills``) and what a caller
needs (the ``acdc_member`` node's ``required_skills`` and the call's
``acdc_required_skills``, set by Kazoo's ``acdc_required_skills`` action). A caller is
offered only to agents who have every skill it needs.

In Redis a set of skills is one string, ``,a,b,`` (sorted, each between commas), so the
claim script tests ``,a,`` as a plain substring (:mod:`acdc.distributor`).
"""

from __future__ import annotations

from collections.abc import Iterable

REQUIRED_SKILLS_KVS = "acdc_required_skills"
"""The call's key/value entry of the skills its caller needs (Kazoo's name)."""
FORBIDDEN = ","


def valid_skill(name: str) -> bool:
    """Whether ``name`` can be a skill (not empty, no comma)."""
    return bool(name.strip()) and FORBIDDEN not in name


def encode(skills: Iterable[str]) -> str:
    """The Redis form of a set of skills (``""`` for none); raises ``ValueError`` for a
    name that cannot be a skill."""
    names = sorted({str(s).strip() for s in skills})
    for name in names:
        if not valid_skill(name):
            raise ValueError(f"not a skill name: {name!r}")
    return f",{','.join(names)}," if names else ""


def decode(stored: str | None) -> list[str]:
    """The skills of :func:`encode`'s form."""
    return [s for s in (stored or "").split(",") if s]
