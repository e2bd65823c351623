"""Per-object actions from one table: the same verbs (list, get, create, update, ...) on each object.

Certinia offers list/get/create/update/upsert on projects, milestones, assignments, ...; Kantata
list/get/create/update/delete on workspaces, stories, time entries, ... The declarations differ only in
the object's names, its schemas and which object the run function works on. A :class:`Verb` states one
of them once; :func:`object_actions` makes an :class:`~connectors.base.Action` per object and verb::

    VERBS = (
        Verb("get_{key}", "Get {label}", "Read one {label} by id.", run=get_record,
             input_schema=lambda obj: ID_INPUT, output_schema=record_schema),
        ...
    )
    actions = object_actions(OBJECTS, VERBS, names=lambda obj: {"key": obj.key, "label": obj.label})

``run(obj, ctx, params)`` receives the object first (bound per action); key, name and description are
``str.format`` templates over the names an object gives.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, TypeVar

from connectors.base import Action, ActionContext

O = TypeVar("O")  # noqa: E741 - the object type, as in the docs above


def _always(obj: object) -> bool:
    return True


@dataclass(frozen=True)
class Verb(Generic[O]):
    """One action template: what ``Action`` takes, with the object left open."""

    key: str
    name: str
    description: str
    run: Callable[[O, ActionContext, Any], Any]
    input_schema: Callable[[O], dict[str, Any]]
    output_schema: Callable[[O], dict[str, Any]]
    writes: bool = False
    applies_to: Callable[[O], bool] = _always  # e.g. only writable objects get create/update


def object_actions(
    objects: Iterable[O],
    verbs: Sequence[Verb[O]],
    *,
    names: Callable[[O], Mapping[str, str]],
    record_object: Callable[[O], str] | None = None,
) -> tuple[Action, ...]:
    """The actions of every object, in object order, each object's in verb order. ``record_object``
    names the object as the system's polling trigger does (what echo suppression compares)."""
    actions: list[Action] = []
    for obj in objects:
        words = names(obj)
        actions += [
            Action(
                key=verb.key.format_map(words),
                name=verb.name.format_map(words),
                description=verb.description.format_map(words),
                run=partial(verb.run, obj),
                input_schema=verb.input_schema(obj),
                output_schema=verb.output_schema(obj),
                writes=verb.writes,
                record_object=record_object(obj) if record_object else "",
            )
            for verb in verbs
            if verb.applies_to(obj)
        ]
    return tuple(actions)
