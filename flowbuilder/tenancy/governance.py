"""What an organisation's governance settings require, its partner's included.

A partner that requires four-eyes publishing requires it of every customer it serves: the effective
policy is the organisation's own setting or its partner's, whichever is stricter.
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import Organisation


@dataclass(frozen=True)
class ApprovalPolicy:
    required: bool
    distinct_approver: bool
    # Who set it: "own", "partner" or "" (nobody: publishing is direct).
    source: str = ""


def approval_policy(organisation: Organisation) -> ApprovalPolicy:
    """The effective four-eyes rule for publishing flows of ``organisation``."""
    parent = organisation.parent if organisation.parent_id else None
    own_required = organisation.require_publish_approval
    partner_required = bool(parent and parent.require_publish_approval)
    distinct = organisation.require_distinct_approver or bool(parent and parent.require_distinct_approver)
    source = "own" if own_required else "partner" if partner_required else ""
    return ApprovalPolicy(
        required=own_required or partner_required, distinct_approver=distinct, source=source
    )
