"""What a person does in Business Central from the sandbox pages: nothing yet (the demo's Business
Central flows only write to it; payments there are the billing-events work of another issue)."""

from __future__ import annotations

from ..platform.actions import PageAction

ACTIONS: tuple[PageAction, ...] = ()
