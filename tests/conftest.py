"""Shared fixtures: users in organisations, API clients, and flow documents."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from flowbuilder.tenancy.models import Membership, Organisation, OrganisationKind


@pytest.fixture
def make_org(db):
    counter = {"n": 0}

    def make(name: str | None = None, kind: str = OrganisationKind.CUSTOMER, parent=None, allow_local=True):
        counter["n"] += 1
        name = name or f"Org {counter['n']}"
        return Organisation.objects.create(
            name=name,
            slug=f"{name.lower().replace(' ', '-')}-{counter['n']}",
            kind=kind,
            parent=parent,
            egress_allowlist=["127.0.0.1", "localhost"] if allow_local else [],
        )

    return make


@pytest.fixture
def make_user(db):
    def make(
        username: str, org: Organisation | None = None, role: str = "builder", password: str = "pw-12345678"
    ):
        user = get_user_model().objects.create_user(username=username, password=password)
        if org is not None:
            Membership.objects.create(user=user, organisation=org, role=role)
        return user

    return make


@pytest.fixture
def api(db):
    def client_for(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return client_for


def node(node_id: str, type_: str, config: dict | None = None, **extra) -> dict:
    return {
        "id": node_id,
        "type": type_,
        "label": node_id,
        "position": {"x": 0, "y": 0},
        "config": config or {},
        **extra,
    }


def edge(source: str, target: str, source_port: str = "main", target_port: str = "main") -> dict:
    return {
        "id": f"{source}-{source_port}-{target}-{target_port}",
        "source": source,
        "source_port": source_port,
        "target": target,
        "target_port": target_port,
    }


def document(nodes: list[dict], edges: list[dict]) -> dict:
    return {"schema_version": 1, "nodes": nodes, "edges": edges}


def chain(n: int, trigger: str = "trigger.webhook") -> dict:
    """A trigger followed by ``n`` map nodes each adding 1 to ``n`` (the W1 shape)."""
    nodes = [node("t", trigger, {"response_mode": "last_node"} if trigger == "trigger.webhook" else {})]
    edges = []
    prev = "t"
    for i in range(n):
        nid = f"m{i}"
        nodes.append(node(nid, "transform.map", {"fields": [{"name": "n", "value": "{{ $item.n + 1 }}"}]}))
        edges.append(edge(prev, nid))
        prev = nid
    return document(nodes, edges)
