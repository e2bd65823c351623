"""Connectors used as entry-point targets and adapter fixtures in tests."""

from __future__ import annotations

from connectors.base import BEARER, Action, ActionContext, Connector, PollResult, Trigger


def query(ctx: ActionContext, params: dict) -> list[dict]:
    body = ctx.http.get("/query", params={"q": params["q"]}).json()
    return body["records"]


def upsert(ctx: ActionContext, batch: list[dict]) -> list[dict]:
    headers = {"Idempotency-Key": ctx.idempotency_key} if ctx.idempotency_key else {}
    return ctx.http.post("/upsert", json={"records": batch}, headers=headers).json()["results"]


def poll_new(ctx: ActionContext, config: dict, cursor: int | None) -> PollResult:
    return PollResult(items=[{"n": (cursor or 0) + 1}], cursor=(cursor or 0) + 1)


class AcmeCRM(Connector):
    key = "acme"
    name = "Acme CRM"
    category = "CRM"
    icon = "acme"
    version = "2.1.0"
    credential_types = (BEARER,)
    actions = (
        Action(
            key="query",
            name="Query",
            run=query,
            input_schema={"type": "object", "required": ["q"], "properties": {"q": {"type": "string"}}},
        ),
        Action(
            key="upsert",
            name="Upsert",
            run=upsert,
            writes=True,
            mode="batch",
            batch_size=2,
            input_schema={"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
        ),
    )
    triggers = (Trigger(key="new_things", name="New things", poll=poll_new),)


class OtherPSA(Connector):
    key = "otherpsa"
    name = "Other PSA"
    category = "PSA"


class Broken(Connector):
    key = "Bad Key"
    name = "Broken"
    category = "Nope"
