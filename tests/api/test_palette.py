"""Node types (the palette) and expression preview."""

from __future__ import annotations


def test_node_types(client_as):
    response = client_as("viewer").get("/api/node-types/")
    assert response.status_code == 200
    types = {t["type"]: t for t in response.json()}
    assert {"trigger.manual", "trigger.webhook", "transform.map"} <= set(types)
    hook = types["trigger.webhook"]
    assert {
        "label",
        "category",
        "icon",
        "inputs",
        "outputs",
        "config_schema",
        "is_trigger",
        "default_retry",
    } <= set(hook)
    assert hook["is_trigger"] is True


def test_node_types_anonymous(client_as):
    assert client_as(None).get("/api/node-types/").status_code in (401, 403)


def test_node_types_is_read_only(client_as):
    assert client_as("admin").post("/api/node-types/", {}, format="json").status_code == 405


class TestExpressionPreview:
    url = "/api/expressions/preview/"

    def test_expression(self, client_as):
        response = client_as("viewer").post(
            self.url, {"expression": "$item.n + 1", "item": {"n": 41}}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json() == {"result": 42}

    def test_template(self, client_as):
        response = client_as("viewer").post(
            self.url, {"expression": "Hi {{ $item.name }}", "item": {"name": "Ada"}}, format="json"
        )
        assert response.json() == {"result": "Hi Ada"}

    def test_template_mode_literals_are_literals(self, client_as):
        """Issue 10, defect 9: a template field previews as a run renders it: text is literal."""
        client = client_as("viewer")
        for literal in ("https://api.example.com/customers", "USD", "a: b (c)"):
            body = {"expression": literal, "item": {"n": 1}, "mode": "template"}
            assert client.post(self.url, body, format="json").json() == {"result": literal}
        body = {"expression": "https://x.test/c/{{ $item.n + 1 }}", "item": {"n": 1}, "mode": "template"}
        assert client.post(self.url, body, format="json").json() == {"result": "https://x.test/c/2"}
        bad = client.post(self.url, {**body, "mode": "python"}, format="json")
        assert bad.status_code == 400 and "mode" in bad.json()["errors"]

    def test_node_outputs(self, client_as):
        body = {"expression": "$count($node.n1.items)", "node_outputs": {"n1": {"main": [{}, {}]}}}
        assert client_as("viewer").post(self.url, body, format="json").json() == {"result": 2}

    def test_syntax_error_is_400_with_position(self, client_as):
        response = client_as("viewer").post(self.url, {"expression": "$item.n +"}, format="json")
        assert response.status_code == 400
        body = response.json()
        assert body["error"]
        assert "position" in body

    def test_data_is_never_evaluated(self, client_as):
        body = {"expression": "$item.text", "item": {"text": "{{ $item.secret }}", "secret": "s3"}}
        assert client_as("viewer").post(self.url, body, format="json").json() == {
            "result": "{{ $item.secret }}"
        }

    def test_bad_payloads(self, client_as):
        for payload, field in (
            ({}, "expression"),
            ({"expression": 5}, None),
            ({"expression": ["x"]}, "expression"),
            ({"expression": "1", "node_outputs": []}, "node_outputs"),
            ({"expression": "x" * 20_001}, "expression"),
        ):
            response = client_as("viewer").post(self.url, payload, format="json")
            if field is None:
                assert response.status_code < 500
                continue
            assert response.status_code == 400, payload
            assert field in response.json()["errors"], payload

    def test_anonymous(self, client_as):
        assert client_as(None).post(self.url, {"expression": "1"}, format="json").status_code in (401, 403)
