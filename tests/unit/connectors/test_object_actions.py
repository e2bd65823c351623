"""Per-object actions from one verb table, and the one test_connection built on ``probe``."""

from __future__ import annotations

from connectors.base import ActionContext, Connector, check_connector
from connectors.errors import AuthError
from connectors.object_actions import Verb, object_actions

OBJECTS = ("projects", "users")


def _fetch(obj: str, ctx: ActionContext, params: dict) -> dict:
    return {"object": obj, **params}


VERBS = (
    Verb(
        "get_{one}",
        "Get {label}",
        "Read one {label}.",
        run=_fetch,
        input_schema=lambda obj: {"type": "object", "properties": {"id": {"type": "string", "title": "Id"}}},
        output_schema=lambda obj: {"type": "object", "title": obj},
    ),
    Verb(
        "create_{one}",
        "Create {label}",
        "Create a {label}.",
        run=_fetch,
        input_schema=lambda obj: {"type": "object"},
        output_schema=lambda obj: {"type": "object"},
        writes=True,
        applies_to=lambda obj: obj != "users",
    ),
)


def _names(obj: str) -> dict[str, str]:
    return {"one": obj[:-1], "label": obj[:-1].title()}


def test_one_action_per_object_and_verb_in_order():
    actions = object_actions(OBJECTS, VERBS, names=_names)
    assert [(a.key, a.name, a.writes) for a in actions] == [
        ("get_project", "Get Project", False),
        ("create_project", "Create Project", True),
        ("get_user", "Get User", False),
    ]
    assert actions[2].description == "Read one User."
    assert actions[2].output_schema == {"type": "object", "title": "users"}
    assert actions[0].run(None, {"id": "7"}) == {"object": "projects", "id": "7"}  # bound to its object


class Probed(Connector):
    key = "probed"
    name = "Probed"
    category = "Generic"
    actions = object_actions(OBJECTS, VERBS, names=_names)
    answer: Exception | str = "Connected to Probed."

    def probe(self, ctx: ActionContext) -> str:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_generated_actions_pass_the_declaration_check():
    assert check_connector(Probed()) == []


def test_test_connection_reports_probe_success_and_errors_with_their_hint():
    connector = Probed()
    assert connector.test_connection(None) == (True, "Connected to Probed.")
    connector.answer = AuthError("Probed refused the token.", status=401, hint="Reconnect.")
    assert connector.test_connection(None) == (False, "Probed refused the token. Reconnect.")
