"""Revalidation: would a failed item pass now? Its run is evaluated again, without side effects, through
another version of its flow (the current draft or the published version) up to the node it failed on.

Nothing here calls the outside world or writes a row. The node inputs come from the one function that
computes them for the engine, the run view and retry (``scheduler.node_inputs``); pure nodes (mapping,
transform, canonical, filter, logic, triggers) run through ``node_runner.run_node`` exactly as a run runs
them, with a context that has no way out (``context.build_dry_context``). A node that reaches an outside
system (side effects, or any connector action, reads included) is never called:

* upstream of the failed node, its output from the failed run stands in for it (as pinned data stands in
  for the upstream of "run this node"); a side-effect node that did not run then cannot be stood in for,
  and the verdict is ``unknown``;
* the failed node itself, if it has side effects, is checked instead of called: its templates are
  rendered for the item (an expression error fails), a connector action's rendered input is validated
  against the action's input schema (a missing required field fails, naming it), and a refusal of the
  outside system (a refused value, a missing reference, a duplicate, a validation error) is taken to
  repeat when neither the item nor the node's configuration changed since it failed.

Each failure gets a verdict: ``pass`` (with the input the failed node would now receive and its diff
against the input it failed on), ``fail`` (the field and the reason) or ``unknown`` (why it cannot say).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from flowbuilder.core.errors import FlowbuilderError
from flowbuilder.core.item_spool import plain
from flowbuilder.nodes.connector_nodes import ConnectorActionNode
from flowbuilder.nodes.registry import load_registry
from flowbuilder.planning import ExecutionPlan

from . import scheduler
from .context import build_dry_context
from .failure_records import _preview
from .models import FailureCategory, FailureKind, FailureRecord, NodeRun, NodeStatus, Run
from .node_runner import always_runs, is_side_effect, run_node

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
#: Refusals by the outside system that repeat when the same input is sent again.
REPEATING = {
    FailureCategory.REFUSED_VALUE,
    FailureCategory.MISSING_REFERENCE,
    FailureCategory.DUPLICATE,
    FailureCategory.VALIDATION,
}
MAX_DIFF = 50
MAX_RUN_ITEMS = 100  # items of a failed run's node checked one by one


def calls_outside(type_id: str) -> bool:
    """The node reaches an outside system: it declares side effects, or it is a connector action (reads
    included: a query is not called while revalidating either)."""
    node_cls = load_registry().get(type_id)
    return is_side_effect(type_id) or (node_cls is not None and issubclass(node_cls, ConnectorActionNode))


@dataclass
class _Blocked:
    """A node upstream of the failed one that cannot produce its output now."""

    verdict: str
    node_id: str
    field: str
    reason: str


def revalidate_run(run: Run, plan: ExecutionPlan, failures: Iterable[FailureRecord]) -> list[dict[str, Any]]:
    """One result per failure of ``run``, evaluated through ``plan`` (another version of its flow)."""
    failures = list(failures)
    rows = {
        r.node_id: r for r in NodeRun.objects.filter(run_id=run.pk).only("node_id", "status", "output_items")
    }
    original = _original_inputs(run, rows)
    targets = {f.node_id for f in failures if f.node_id in plan.nodes}
    outputs, blocked = _evaluate_upstream(run, plan, rows, targets)
    results = []
    for failure in failures:
        results.append(_result(run, plan, failure, outputs, blocked, original))
    return results


# --- upstream: the pure nodes run again, side-effect nodes stand in with their recorded output ---------


def _ancestors(plan: ExecutionPlan, targets: set[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(targets)
    while todo:
        for source in plan.predecessors(todo.pop()):
            if source not in seen:
                seen.add(source)
                todo.append(source)
    return seen


def _evaluate_upstream(
    run: Run, plan: ExecutionPlan, rows: Mapping[str, NodeRun], targets: set[str]
) -> tuple[dict[str, dict[str, list]], dict[str, _Blocked]]:
    needed = _ancestors(plan, targets)
    outputs: dict[str, dict[str, list]] = {}
    blocked: dict[str, _Blocked] = {}
    for node_id in plan.order:
        if node_id not in needed:
            continue
        stop = next((blocked[s] for s in plan.predecessors(node_id) if s in blocked), None)
        if stop is not None:
            blocked[node_id] = stop
            continue
        spec = plan.nodes[node_id]
        inputs = _inputs(run, plan, node_id, outputs)
        if scheduler.should_skip(plan, node_id, inputs, always_runs=always_runs(spec.type)):
            outputs[node_id] = {}
            continue
        if calls_outside(spec.type) and not spec.disabled:
            row = rows.get(node_id)
            if row is None or row.status not in (NodeStatus.SUCCEEDED, NodeStatus.FAILED):
                blocked[node_id] = _Blocked(
                    UNKNOWN,
                    node_id,
                    "",
                    f"Step {_label(plan, node_id)} calls an outside system and has no output in the failed "
                    "run to stand in for it; it is not called while revalidating.",
                )
                continue
            outputs[node_id] = row.output_items or {}
            continue
        outcome = run_node(spec, build_dry_context(run, node_id, outputs), inputs, 1)
        if outcome.status == "succeeded" or (outcome.status == "failed" and outcome.continued):
            outputs[node_id] = plain(outcome.outputs or {})
        elif outcome.status == "failed":
            error = outcome.error or {}
            blocked[node_id] = _Blocked(
                FAIL,
                node_id,
                str(error.get("field") or ""),
                f"Step {_label(plan, node_id)} fails first: {error.get('message') or 'it failed'}",
            )
        else:  # parked (waiting): a pure node never should; say so instead of guessing
            blocked[node_id] = _Blocked(
                UNKNOWN, node_id, "", f"Step {_label(plan, node_id)} would wait; it cannot be revalidated."
            )
    return outputs, blocked


def _inputs(run: Run, plan: ExecutionPlan, node_id: str, outputs: Mapping[str, dict[str, list]]) -> dict:
    return scheduler.node_inputs(
        plan, node_id, outputs_of=lambda n: outputs.get(n) or {}, run_input=run.input_items or []
    )


def _original_inputs(run: Run, rows: Mapping[str, NodeRun]) -> tuple[ExecutionPlan | None, dict]:
    """The run's own plan and a reader of what each node received when the run ran."""
    try:
        plan = ExecutionPlan.from_dict(run.version.plan)
    except Exception:  # an unreadable plan: the stored item preview is all there is
        return None, {}
    outputs = {node_id: row.output_items or {} for node_id, row in rows.items()}
    return plan, outputs


def _before(run: Run, failure: FailureRecord, original: tuple[ExecutionPlan | None, dict]) -> list[Any]:
    plan, outputs = original
    if plan is not None and failure.node_id in plan.nodes:
        options = run.options or {}
        ports = scheduler.node_inputs(
            plan,
            failure.node_id,
            outputs_of=lambda n: outputs.get(n) or {},
            run_input=run.input_items or [],
            pinned=options.get("pinned"),
            only_node=options.get("only_node"),
        )
        items = list(ports.get("main", []))
        if items or failure.item is None:
            return items
    return [failure.item] if failure.item is not None else []


# --- the failed node -------------------------------------------------------------------------------------


def _result(
    run: Run,
    plan: ExecutionPlan,
    failure: FailureRecord,
    outputs: dict[str, dict[str, list]],
    blocked: dict[str, _Blocked],
    original: tuple[ExecutionPlan | None, dict],
) -> dict[str, Any]:
    node_id = failure.node_id
    result: dict[str, Any] = {
        "failure": failure.pk,
        "run": run.pk,
        "node_id": node_id,
        "node_label": _label(plan, node_id) if node_id in plan.nodes else node_id,
        "item_index": failure.item_index,
        "verdict": FAIL,
        "field": "",
        "reason": "",
        "checked": "",
        "input": None,
        "diff": [],
    }
    if not node_id or node_id not in plan.nodes:
        result["field"] = "node_id"
        result["reason"] = (
            f"This version has no step {node_id or '(none)'}; the failure cannot be checked on it."
        )
        return result
    stop = next((blocked[s] for s in _ancestors(plan, {node_id}) if s in blocked), None)
    if stop is not None:
        result.update(verdict=stop.verdict, field=stop.field, reason=stop.reason)
        return result
    before_items = _before(run, failure, original)
    inputs = _inputs(run, plan, node_id, outputs)
    items = list(inputs.get("main", []))
    if failure.kind == FailureKind.ITEM:
        index = failure.item_index
        if index >= len(items):
            result.update(
                verdict=UNKNOWN, reason="The item no longer reaches this step (an earlier step drops it)."
            )
            return result
        chosen = [(index, items[index])]
        before = before_items[index] if index < len(before_items) else failure.item
    else:
        chosen = list(enumerate(items[:MAX_RUN_ITEMS]))
        before = before_items[0] if before_items else None
    after = chosen[0][1] if chosen else None
    result["input"] = _preview(after) if after is not None else None
    result["diff"] = diff(before, after)[:MAX_DIFF]
    spec = plan.nodes[node_id]
    outside = calls_outside(spec.type) and not spec.disabled
    result["checked"] = "inputs checked, not called" if outside else "ran"
    for index, item in chosen:
        verdict, field, reason = (
            _check_call(run, spec, node_id, item, index, outputs)
            if outside
            else _run_pure(run, spec, node_id, inputs, item, outputs)
        )
        if verdict != PASS:
            where = f"Item {index + 1}: " if failure.kind == FailureKind.RUN and len(chosen) > 1 else ""
            result.update(verdict=verdict, field=field, reason=where + reason)
            return result
    if failure.kind == FailureKind.ITEM:
        unchanged = not result["diff"]
    else:
        unchanged = before_items[:MAX_RUN_ITEMS] == [item for _, item in chosen]
    if outside and failure.category in REPEATING and unchanged and _same_step(run, plan, node_id):
        result.update(
            reason="Nothing this step uses changed since it was refused: the same input would be "
            "refused again."
        )
        return result
    result["verdict"] = PASS
    return result


def _run_pure(
    run: Run, spec: Any, node_id: str, inputs: dict[str, list], item: Any, outputs: Mapping[str, Any]
) -> tuple[str, str, str]:
    """Run the pure failed node on this one item (other ports as computed)."""
    outcome = run_node(spec, build_dry_context(run, node_id, outputs), {**inputs, "main": [item]}, 1)
    if outcome.status == "succeeded":
        return PASS, "", ""
    if outcome.status == "failed":
        error = outcome.error or {}
        return FAIL, str(error.get("field") or ""), str(error.get("message") or "The step fails.")
    return UNKNOWN, "", "The step would wait; it cannot be revalidated."


def _check_call(
    run: Run, spec: Any, node_id: str, item: Any, index: int, outputs: Mapping[str, Any]
) -> tuple[str, str, str]:
    node_cls = load_registry().get(spec.type)
    if node_cls is None:
        return FAIL, "type", f"Unknown step type {spec.type!r}."
    return check_call(node_cls, spec, build_dry_context(run, node_id, outputs), item, index)


def check_call(node_cls: Any, spec: Any, ctx: Any, item: Any, index: int) -> tuple[str, str, str]:
    """A side-effect node, checked without calling it: its templates render for the item and a connector
    action's rendered input matches the action's input schema. (verdict, field, reason)."""
    node = node_cls(spec.config or {})
    action = getattr(node_cls, "action", None)
    try:
        if action is not None and hasattr(node, "_params"):
            if not (spec.config or {}).get("connection"):
                return FAIL, "connection", "No connection selected."
            params = node._params(ctx, dict(item) if isinstance(item, Mapping) else {}, index)
            return _schema_verdict(action.input_schema, params)
        from flowbuilder.nodes.expressions import render_template

        render_template(dict(spec.config or {}), ctx.expression_context(item, index))
    except FlowbuilderError as exc:
        return FAIL, str(getattr(exc, "field", "") or ""), exc.message
    return PASS, "", ""


def _schema_verdict(schema: Mapping[str, Any], params: Any) -> tuple[str, str, str]:
    validator_cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    error = jsonschema.exceptions.best_match(validator_cls(schema).iter_errors(params))
    if error is None:
        return PASS, "", ""
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, Mapping):
        missing = [r for r in error.validator_value if r not in error.instance]
        path += missing[:1]
    return FAIL, ".".join(path), error.message


def _same_step(run: Run, plan: ExecutionPlan, node_id: str) -> bool:
    """The node's configuration is the one it failed with."""
    try:
        old = (run.version.plan or {})["nodes"][node_id]
    except (KeyError, TypeError):
        return False
    spec = plan.nodes[node_id]
    return old.get("type") == spec.type and (old.get("config") or {}) == (spec.config or {})


def _label(plan: ExecutionPlan, node_id: str) -> str:
    spec = plan.nodes.get(node_id)
    return f"“{spec.label or node_id}”" if spec is not None else node_id


# --- the diff shown to a person ----------------------------------------------------------------------------


def diff(before: Any, after: Any, path: str = "") -> list[dict[str, Any]]:
    """Changes from ``before`` to ``after`` as flat paths: [{"path", "change", "before", "after"}]."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        changes: list[dict[str, Any]] = []
        for key in sorted(set(before) | set(after), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                changes.append({"path": sub, "change": "added", "before": None, "after": after[key]})
            elif key not in after:
                changes.append({"path": sub, "change": "removed", "before": before[key], "after": None})
            else:
                changes += diff(before[key], after[key], sub)
        return changes
    if before == after and type(before) is type(after):
        return []
    return [{"path": path or "(item)", "change": "changed", "before": before, "after": after}]
