"""Hooks outer apps register at start-up, so flows never import them.

Publishing a flow must bring its polling and schedule triggers in step (the triggers app, an outer layer).
Instead of flows importing triggers, the triggers app registers :func:`sync_flow_triggers` here in its
``AppConfig.ready``, and ``publish_flow`` calls every registered hook inside its transaction. Hooks are
plain function calls, listed in one place, not Django signals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Flow, FlowVersion

# (*, flow: Flow, version: FlowVersion | None, environment: str) -> None; environment "prod" is the
# published version, "dev"/"test" a release of flows.environments (version None: nothing live there).
PublishHook = Callable[..., None]

_after_publish: list[PublishHook] = []


def on_publish(hook: PublishHook) -> PublishHook:
    """Register ``hook(flow=..., version=..., environment=...)`` to run inside every publish
    transaction (idempotent)."""
    if hook not in _after_publish:
        _after_publish.append(hook)
    return hook


def published(*, flow: Flow, version: FlowVersion | None, environment: str = "prod") -> None:
    """Run the publish hooks; an exception rolls the publish back (the caller's transaction)."""
    for hook in _after_publish:
        hook(flow=flow, version=version, environment=environment)
