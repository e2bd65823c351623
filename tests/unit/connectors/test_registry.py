from __future__ import annotations

import importlib.metadata
import textwrap

import pytest

from connectors.errors import ConnectorLoadError
from connectors.frozen_registry import RegistryFrozenError
from connectors.generic.http.connector import GenericRestConnector
from connectors.registry import ConnectorRegistry, load_connectors
from tests.support.fake_connectors import AcmeCRM, Broken, OtherPSA


def test_register_then_freeze_refuses_more():
    registry = ConnectorRegistry()
    registry.register(AcmeCRM)
    registry.freeze()
    with pytest.raises(RegistryFrozenError):
        registry.register(OtherPSA)
    assert [c.key for c in registry] == ["acme"]
    assert registry["acme"].version == "2.1.0"


def test_duplicate_key_and_invalid_declaration_refused():
    registry = ConnectorRegistry()
    registry.register(AcmeCRM)
    clone = type("AcmeClone", (AcmeCRM,), {})
    with pytest.raises(ConnectorLoadError, match="already registered"):
        registry.register(clone)
    with pytest.raises(ConnectorLoadError, match="category"):
        registry.register(Broken)


def test_default_load_has_builtins_and_is_frozen():
    registry = load_connectors(ConnectorRegistry())
    assert registry.frozen
    assert isinstance(registry.get("http"), GenericRestConnector)
    assert "builtin" in registry.source("http")
    assert load_connectors(registry) is registry  # idempotent


def test_entry_points_monkeypatched(monkeypatch):
    eps = [
        importlib.metadata.EntryPoint(
            "acme", "tests.support.fake_connectors:AcmeCRM", "flowbuilder.connectors"
        ),
        importlib.metadata.EntryPoint(
            "other", "tests.support.fake_connectors:OtherPSA", "flowbuilder.connectors"
        ),
    ]
    groups = []

    def fake_entry_points(*, group):
        groups.append(group)
        return eps

    monkeypatch.setattr(importlib.metadata, "entry_points", fake_entry_points)
    registry = load_connectors(ConnectorRegistry())
    assert groups == ["flowbuilder.connectors"]
    assert {"http", "acme", "otherpsa"} <= {c.key for c in registry}
    assert "entry point acme" in registry.source("acme")


def test_broken_plugin_fails_loudly(monkeypatch):
    eps = [
        importlib.metadata.EntryPoint(
            "bad", "tests.unit.connectors.no_such_module:X", "flowbuilder.connectors"
        )
    ]
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda *, group: eps)
    with pytest.raises(ConnectorLoadError, match="bad"):
        ConnectorRegistry().load_entry_points()


def test_entry_point_from_an_installed_fake_distribution(tmp_path, monkeypatch):
    """A real (if tiny) distribution on sys.path: dist-info with entry_points.txt, found by importlib."""
    pkg = tmp_path / "widget_connector"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        textwrap.dedent(
            """
            from connectors.base import Connector

            class WidgetERP(Connector):
                key = "widget"
                name = "Widget ERP"
                category = "ERP"
            """
        )
    )
    info = tmp_path / "widget_connector-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: widget-connector\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[flowbuilder.connectors]\nwidget = widget_connector:WidgetERP\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = ConnectorRegistry()
    assert "widget" in registry.load_entry_points()
    assert registry["widget"].category == "ERP"
    assert "widget-connector" in registry.source("widget")
