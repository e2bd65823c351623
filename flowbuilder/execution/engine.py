"""The run engine: networkx ordered the plan, this walks it.

Every write happens in a *step*: one transaction holding the run row's lock, in which the engine stores
finished nodes, appends events, finds the nodes that became ready and claims them. Between steps it
executes the claimed nodes outside any transaction.

Checkpoints follow side effects. A node that calls the outside world is claimed (its NodeRun row is
committed as ``running`` with a fencing token) before it starts and its result is committed before
anything downstream starts. Pure nodes (map, filter, if, merge...) are deterministic over their inputs,
so while this executor is the only one working on the run it keeps their results in memory and writes
them in one batch at the next step; after a crash they are simply recomputed.

A step's events are written with it and published after its commit. A claimed node's ``node.started``
goes with its claim, before it runs; a pure node kept in memory sends only its result.

Several ready side-effect nodes fan out as separate Celery tasks so branches run in parallel across
workers; whichever executor finishes a node takes the next step, so the last branch continues the run.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone

from flowbuilder.core import logs
from flowbuilder.core.item_spool import any_spooled, is_spooled
from flowbuilder.planning import ExecutionPlan

from . import admission, dispatch, failure_records, heartbeat, saga, scheduler
from .bulk import insert_node_runs, read_outputs, write_large_outputs, write_step
from .context import build_context
from .events import EventBuffer
from .events import messages as event_messages
from .models import (
    CLAIMED_NODE,
    PARKED_NODE,
    TERMINAL_NODE,
    TERMINAL_RUN,
    CompensationStatus,
    EventType,
    NodeRun,
    NodeStatus,
    Run,
    RunEvent,
    RunOrigin,
    RunStatus,
)
from .node_runner import always_runs, exception_ports, exceptions_complete, is_side_effect, run_node
from .outcome import Outcome
from .plans import plan_for
from .publish import publish_run_events
from .subflows import run_subflow

log = logging.getLogger(__name__)

# How long pure nodes may run inside the opening transaction before it commits anyway.
PURE_WINDOW_S = 0.25
# Parked runs due within this many seconds also get a countdown task; later ones the sweeper wakes
# (a broker holds a countdown message unacknowledged, so long ones would outlive its visibility timeout).
COUNTDOWN_MAX_S = 60.0
# Results up to this size go to a waiting webhook caller through Redis; larger ones it reads itself.
WAITER_INLINE_BYTES = 256 * 1024
# Node results with at least this many items are written one per statement: one result's JSON text is
# in memory at a time, not the text of every result of the step.
LARGE_RESULT_ITEMS = 1000


@dataclass
class NodeState:
    status: str
    attempt: int = 1
    row_id: int | None = None
    claim: int = 0
    continued: bool = False
    db_claim: int = 0  # the claim token the row had when last read
    first_attempt_at: datetime | None = None  # rate-limit waits count from here
    resumable: bool = False  # parked before (it has a suspend_state): runs again with ctx.resume


def _drive_inline(run_id: int) -> None:
    """Sub-flows run every node in the calling task: no fan-out."""
    Engine(run_id, inline_only=True).drive()


class Engine:
    def __init__(self, run_id: int, *, inline_only: bool = False) -> None:
        self.run_id = run_id
        # Sub-flows run every node in the calling task: no fan-out.
        self.inline_only = inline_only
        self.run: Run | None = None
        self.plan: ExecutionPlan | None = None
        self.states: dict[str, NodeState] = {}
        self.outputs: dict[str, dict[str, list]] = {}
        self.unsaved: dict[str, Outcome] = {}  # pure results not yet written
        self.events = EventBuffer()
        self.sole = False
        self.stopped = False
        self._window = False
        self._deferred_fields: set[str] = set()  # run fields changed by steps not yet saved
        self._staged_rows: list[dict[str, Any]] = []  # node results of the window not yet written
        self._staged_nodes: set[str] = set()
        self._scope_cache: frozenset[str] | None = None
        self._undo_attempts: dict[str, int] = {}
        self._failures: list[Any] = []  # failure-inbox records of this transaction not yet written
        self._cleared: list[tuple[str, set[str]]] = []  # (node, exceptions it raised): clear the others

    # ------------------------------------------------------------------ entry point
    def drive(self, *, branch_node: str | None = None, branch_claim: int | None = None) -> None:
        """Work on the run until nothing is left for this executor to do."""
        with logs.bound(run_id=self.run_id), heartbeat.beating(self.run_id, self._claimed_row_ids):
            # The opening window: the start step and the pure nodes after it share one transaction
            # holding the run lock, so a run of pure nodes costs a single commit. The window closes
            # (commits) before any side-effect node runs, so its claim is durable first.
            with transaction.atomic():
                self._window = True
                todo = self._step(start=True, branch=(branch_node, branch_claim))
                todo = self._work(todo, pure_only=True, deadline=time.monotonic() + PURE_WINDOW_S)
                self._window = False
                self._save_deferred()
            self._work(todo, pure_only=False, deadline=None)

    def _work(self, todo: list[str], *, pure_only: bool, deadline: float | None) -> list[str]:
        while todo and not self.stopped:
            if pure_only and (self._needs_commit_first(todo[0]) or time.monotonic() > deadline):
                return todo
            node_id = todo.pop(0)
            outcome = self._execute(node_id)
            if self._may_keep_in_memory(node_id, outcome):
                self._remember(node_id, outcome)
                self._release_consumed(self.plan.predecessors(node_id))  # only they can have become free
                ready, effect_ready = self._settle_in_memory(node_id)
                todo.extend(ready)
                if effect_ready:
                    todo = self._step(keep=todo)
                continue
            todo = self._step(completed={node_id: outcome}, keep=todo)
        if not self.stopped and (self.unsaved or self.events):
            self._step(keep=[])
        return todo

    def _needs_commit_first(self, node_id: str) -> bool:
        if node_id.startswith(saga.TODO_PREFIX):
            return True
        state = self.states.get(node_id)
        return is_side_effect(self.plan.nodes[node_id].type) or (
            state is not None and state.row_id is not None
        )

    def _claimed_row_ids(self) -> list[int]:
        return [s.row_id for s in self.states.values() if s.row_id and s.status in CLAIMED_NODE and s.claim]

    # ------------------------------------------------------------------ the locked step
    def _step(
        self,
        *,
        start: bool = False,
        branch: tuple[str | None, int | None] = (None, None),
        completed: dict[str, Outcome] | None = None,
        keep: list[str] | None = None,
    ) -> list[str]:
        completed = completed or {}
        keep = keep or []
        # Inside the opening window this joins the window's transaction (no savepoint needed).
        with transaction.atomic(savepoint=False):
            if self._window and self.run is not None:
                run = self.run  # still locked by the window's transaction: nobody else wrote it
            else:
                run = Run.objects.select_for_update().get(pk=self.run_id)
                if self.run is None:
                    logs.annotate(organisation_id=run.organisation_id, flow_id=run.flow_id)
                self.run = run
            if self.plan is None:
                self.plan = plan_for(run.version_id)
            if not self._write_completed(completed):
                self.stopped = True
                return []
            self._write_unsaved()
            self._release_consumed()
            if run.status in TERMINAL_RUN:
                self.stopped = True
                self._deferred_fields.add("last_seq")  # the events of nodes that finished after a cancel
                self._save_deferred()
                return []
            if start:
                if run.status == RunStatus.WAITING and branch[0] is None and self._stays_parked(run):
                    self.stopped = True
                    return []
                if run.status == RunStatus.WAITING and not admission.may_wake(run):
                    # Its organisation's share of the workers is taken: it stays parked (and due);
                    # admission wakes it when a run of the organisation ends or parks.
                    self.stopped = True
                    return []
                if run.started_at is not None or run.replay_of_id is not None:
                    self._load_states()  # a fresh run has no node rows (a retry's are copied: replay_of)
                if run.status == RunStatus.QUEUED or run.started_at is None:
                    run.status = RunStatus.RUNNING
                    run.started_at = timezone.now()
                    self.events.add(EventType.RUN_STARTED, payload={"status": RunStatus.RUNNING})
                else:
                    run.status = RunStatus.RUNNING  # (a parked run that wakes was WAITING)
                    if self._watchers_see_waiting():
                        # The wait is over: the run view drops its "waiting" banner while the rest runs.
                        self.events.add(
                            EventType.RUN_STARTED, payload={"status": RunStatus.RUNNING, "resumed": True}
                        )
            elif not self._window:
                # Outside the window others may have written since our last step: reload.
                self._refresh_states()
            inline: list[str] = []
            if branch[0] is not None:
                state = self.states.get(branch[0])
                if state is None or state.status != NodeStatus.QUEUED or state.db_claim != branch[1]:
                    # Someone else holds this node now (sweeper reclaimed it, or a duplicate delivery).
                    self._finish_step(run)
                    self.stopped = True
                    return []
                NodeRun.objects.filter(pk=state.row_id).update(status=NodeStatus.RUNNING, heartbeat_at=Now())
                state.status = NodeStatus.RUNNING
                state.claim = branch[1]
                self.events.add(EventType.NODE_STARTED, branch[0], {"attempt": state.attempt})
                inline.append(branch[0])
            failed = self._failed_node()
            if failed is not None:
                undo = self._undo_step(run)
                if undo is not None:
                    return undo
                self._finish_step(run, failed=failed, busy=False)
                self.stopped = run.status in TERMINAL_RUN
                return []
            inline.extend(self._claim_ready(exclude=set(keep) | set(inline)))
            self._update_sole(inline + keep)
            if not self.sole:
                # Others work on this run now: in-memory work must hold real claims too.
                for node_id in keep:
                    if self.states[node_id].row_id is None:
                        self._claim(node_id, NodeStatus.RUNNING)
            self._finish_step(run, busy=bool(inline or keep))
        return keep + [n for n in inline if n not in keep]

    def _stays_parked(self, run: Run) -> bool:
        """A doorbell for a parked run whose wait is not over (a duplicate delivery, or a countdown that came
        early): the run stays parked and unchanged, with no events. Its timer, callback or decision makes it
        due (``wake_at`` in the past); a timer close at hand gets its doorbell again. Database time, as
        every ``wake_at`` is compared in (a callback sets it to the database's now)."""
        wake_at, now = Run.objects.filter(pk=run.pk).annotate(now=Now()).values_list("wake_at", "now").get()
        if wake_at is not None and wake_at <= now:
            return False
        delay = (wake_at - now).total_seconds() if wake_at is not None else None
        if delay is not None and delay <= COUNTDOWN_MAX_S:
            dispatch.after_commit(lambda: dispatch.advance_run(run.pk, countdown=delay))
        return True

    def _watchers_see_waiting(self) -> bool:
        """Is the run's last run event ``run.waiting``? A timer's wake-up (the sweeper) marks the run running
        without an event, so the row's status cannot tell; the event log can."""
        last = (
            RunEvent.objects.filter(run_id=self.run_id, type__startswith="run.")
            .order_by("-seq")
            .values_list("type", flat=True)
            .first()
        )
        return last == EventType.RUN_WAITING

    def _undo_step(self, run: Run) -> list[str] | None:
        """The saga after a final failure: claim the next undo, or park until its retry; None when there is
        nothing (left) to undo and the run can fail."""
        if self._others_in_flight() or not saga.declares_undo(self.plan):
            return None
        undo = saga.next_undo(run.pk, self.plan)
        if undo.done:
            return None
        run.heartbeat_at = timezone.now()
        self._deferred_fields.update(["heartbeat_at", "status", "started_at"])
        if undo.node_id is None:
            run.wake_at = undo.wake_at  # a future wake_at keeps the sweeper from calling the run stale
            self._deferred_fields.add("wake_at")
            delay = max(0.0, (undo.wake_at - timezone.now()).total_seconds())
            if delay <= COUNTDOWN_MAX_S:
                dispatch.after_commit(lambda: dispatch.advance_run(run.pk, countdown=delay))
            self._save_deferred()
            self.stopped = True
            return []
        attempt = saga.claim(run.pk, undo.node_id)
        self.events.add(EventType.NODE_COMPENSATING, undo.node_id, {"attempt": attempt})
        self._undo_attempts[undo.node_id] = attempt
        self._save_deferred()
        return [saga.TODO_PREFIX + undo.node_id]

    def _others_in_flight(self) -> bool:
        return any(
            s.status in CLAIMED_NODE and s.row_id is not None and not s.claim for s in self.states.values()
        )

    def _finish_step(self, run: Run, *, failed: str | None = None, busy: bool = True) -> None:
        """Finalise the run if it is over, plan its wake-up if it waits for a retry, and flush events."""
        fields = ["heartbeat_at", "last_seq", "status", "started_at"]
        run.heartbeat_at = timezone.now()
        others = any(
            s.status in CLAIMED_NODE and s.row_id is not None and not s.claim for s in self.states.values()
        )
        if failed is not None and not others:
            error = self._node_error(failed)
            if saga.declares_undo(self.plan):
                error["saga"] = saga.summary(run.pk)
            self._finalise(run, RunStatus.FAILED, error=error)
            fields += ["finished_at", "error", "output_items"]
        elif failed is None and not busy and not others:
            if any(s.status in PARKED_NODE for s in self.states.values()):
                self._park(run)
                fields.append("wake_at")
            elif self._all_settled():
                self._finalise(run, RunStatus.SUCCEEDED)
                fields += ["finished_at", "error", "output_items"]
        self._deferred_fields.update(fields)
        if self._window and busy and failed is None:
            return  # more steps follow in this transaction: write the run and its events once, at its end
        self._save_deferred()

    def _park(self, run: Run) -> None:
        """Nothing can run now: a node waits for a retry, a time, a callback or a person. Free the worker.

        The wake-up time lives in the database (the sweeper wakes due runs every few seconds); a short
        retry also gets a countdown task so it is not late by a sweep interval.
        """
        wake = (
            NodeRun.objects.filter(run_id=run.pk, status__in=list(PARKED_NODE), next_attempt_at__isnull=False)
            .order_by("next_attempt_at")
            .values_list("next_attempt_at", flat=True)
            .first()
        )
        run.wake_at = wake
        if any(s.status == NodeStatus.WAITING for s in self.states.values()):
            if run.status != RunStatus.WAITING:
                run.status = RunStatus.WAITING
                admission.freed(run.organisation_id)  # a parked run holds no worker
                self.events.add(
                    EventType.RUN_WAITING,
                    payload={"status": RunStatus.WAITING, "wake_at": wake.isoformat() if wake else None},
                )
        if wake is not None:
            delay = max(0.0, (wake - timezone.now()).total_seconds())
            if delay <= COUNTDOWN_MAX_S:
                dispatch.after_commit(lambda: dispatch.advance_run(run.pk, countdown=delay))

    def _save_deferred(self) -> None:
        """Write what the steps of this transaction left: node results, events and the run, at once."""
        if self._failures:
            failure_records.write(self._failures)
            self._failures = []
        for node_id, raised in self._cleared:
            failure_records.clear_absent(self.run, node_id, raised)
        self._cleared = []
        if self._deferred_fields or self._staged_rows:
            self._deferred_fields.add("last_seq")
            rows = self.events.take(self.run)
            write_step(self.run, self._staged_rows, rows, sorted(self._deferred_fields))
            publish_run_events(self.run, event_messages(rows))
            self._deferred_fields, self._staged_rows = set(), []
            self._staged_nodes.clear()

    # ------------------------------------------------------------------ state loading
    def _load_states(self) -> None:
        self.states = {}
        rows = NodeRun.objects.filter(run_id=self.run_id).values(
            "id", "node_id", "status", "attempt", "claim_token", "error", "first_attempt_at", "suspend_state"
        )
        for row in rows:
            self.states[row["node_id"]] = NodeState(
                status=row["status"],
                attempt=row["attempt"],
                row_id=row["id"],
                claim=0,  # nothing is ours yet
                continued=row["status"] == NodeStatus.FAILED and bool((row["error"] or {}).get("continued")),
                first_attempt_at=row["first_attempt_at"],
                resumable=row["suspend_state"] is not None,
            )
            self.states[row["node_id"]].db_claim = row["claim_token"]

    def _refresh_states(self) -> None:
        mine = {nid: s.claim for nid, s in self.states.items() if s.claim and s.status in CLAIMED_NODE}
        in_memory = {nid: s for nid, s in self.states.items() if s.row_id is None}
        self._load_states()
        for nid, claim in mine.items():
            if nid in self.states and self.states[nid].db_claim == claim:
                self.states[nid].claim = claim
        for nid, state in in_memory.items():
            self.states.setdefault(nid, state)

    # ------------------------------------------------------------------ writing results
    def _write_completed(self, completed: dict[str, Outcome]) -> bool:
        for node_id, outcome in completed.items():
            if node_id.startswith(saga.TODO_PREFIX):
                self._write_undo(node_id.removeprefix(saga.TODO_PREFIX), outcome)
                continue
            state = self.states[node_id]
            values = self._row_values(node_id, outcome)
            large = any_spooled(values["output_items"])
            if large:
                values["output_items"] = {}  # streamed in below
            if outcome.status == NodeStatus.RETRYING:
                values["next_attempt_at"] = Now() + timedelta(seconds=outcome.retry_in_s or 0)
            elif outcome.status == NodeStatus.WAITING:
                values["next_attempt_at"] = outcome.wake_at
                values["suspend_state"] = outcome.suspend_state or {}
            if state.row_id is not None:
                updated = NodeRun.objects.filter(pk=state.row_id, claim_token=state.claim).update(**values)
                if not updated:
                    log.warning("run %s node %s: claim lost; another executor owns it", self.run_id, node_id)
                    return False
            else:
                state.row_id = NodeRun.objects.create(run_id=self.run_id, node_id=node_id, **values).pk
            if large:
                write_large_outputs(self.run_id, node_id, outcome.outputs)
            state.status = outcome.status
            state.claim = 0
            state.continued = outcome.continued
            self._emit_outcome(node_id, outcome)
        return True

    def _write_undo(self, node_id: str, outcome: Outcome) -> None:
        status = saga.record(self.run_id, node_id, outcome)
        payload = {"attempt": outcome.attempt, "duration_ms": outcome.duration_ms}
        if status == CompensationStatus.SUCCEEDED:
            self.events.add(EventType.NODE_COMPENSATED, node_id, payload)
        elif status == CompensationStatus.RETRYING:
            self.events.add(
                EventType.NODE_RETRYING,
                node_id,
                {**payload, "undo": True, "error": outcome.error, "retry_in_s": outcome.retry_in_s},
            )
        else:
            self.events.add(EventType.NODE_COMPENSATION_FAILED, node_id, {**payload, "error": outcome.error})

    def _write_unsaved(self) -> None:
        if not self.unsaved:
            return
        rows = []
        for node_id, outcome in self.unsaved.items():
            row = self._row_values(node_id, outcome)
            row.pop("heartbeat_at", None)
            row = {"run_id": self.run_id, "node_id": node_id, **row}
            # A zombie executor may have written the same deterministic rows: ignore, do not duplicate.
            if any_spooled(outcome.outputs):
                insert_node_runs([{**row, "output_items": {}}])
                write_large_outputs(self.run_id, node_id, outcome.outputs)  # a zombie's row gets the same
            elif sum(outcome.output_counts.values()) >= LARGE_RESULT_ITEMS:
                insert_node_runs([row])
            elif self._window:
                # Written with the run at the window's end (nothing reads them before).
                self._staged_rows.append(row)
                self._staged_nodes.add(node_id)
            else:
                rows.append(row)
            self.states[node_id].row_id = -1  # written; id unknown (bulk insert), never claimed again
        insert_node_runs(rows)
        self.unsaved = {}

    def _release_consumed(self, candidates: list[str] | None = None) -> None:
        """Forget the outputs every successor has finished with: a large run keeps in memory only what is
        still to be consumed. Such an output is in the database; an expression naming it reads it there.
        ``candidates`` limits the check to those nodes (default: every output held)."""
        for node_id in list(self.outputs) if candidates is None else candidates:
            if node_id not in self.outputs:
                continue
            state = self.states.get(node_id)
            links = self.plan.outgoing.get(node_id) if self.plan else None
            if (
                not links  # an end node's output is the run's output
                or state is None
                or state.row_id is None
                or node_id in self.unsaved
                or node_id in self._staged_nodes
            ):
                continue
            if all(
                link.target in self.states and self.states[link.target].status in TERMINAL_NODE
                for link in links
            ):
                del self.outputs[node_id]

    def _row_values(self, node_id: str, outcome: Outcome) -> dict[str, Any]:
        error = dict(outcome.error) if outcome.error else None
        if error is not None and outcome.continued:
            error["continued"] = True
        return {
            "status": outcome.status,
            "attempt": outcome.attempt,
            "input_counts": outcome.input_counts,
            "output_counts": outcome.output_counts,
            "output_items": outcome.outputs if outcome.status not in PARKED_NODE else {},
            "error": error,
            "started_at": outcome.started_at,
            "finished_at": outcome.finished_at,
            "duration_ms": outcome.duration_ms,
            "heartbeat_at": None,
            "resume_payload": None,  # consumed: a callback or decision resumes a parked node once
            "suspend_state": None,  # set again below if the node parks once more
        }

    def _record_exceptions(self, node_id: str, outcome: Outcome) -> None:
        """Items on a node's exception ports go to the failure inbox (the node itself succeeded)."""
        if self.run is None or self.plan is None or node_id not in self.plan.nodes:
            return
        spec = self.plan.nodes[node_id]
        if spec.disabled:
            return  # a disabled node passes its items through; it raised nothing
        offset, complete, raised = 0, exceptions_complete(spec.type), set()
        for port in exception_ports(spec.type):
            items = (outcome.outputs or {}).get(port) or []
            self._failures += failure_records.for_exceptions(self.run, node_id, items, offset=offset)
            offset += len(items)
            if complete:  # only such a node clears what it no longer raises
                raised |= failure_records.fingerprints(self.run, items)
        if complete:
            self._cleared.append((node_id, raised))

    def _emit_outcome(self, node_id: str, outcome: Outcome) -> None:
        if outcome.status == NodeStatus.SKIPPED:
            self.events.add(EventType.NODE_SKIPPED, node_id, {"reason": "no input items"})
            return
        payload: dict[str, Any] = {
            "attempt": outcome.attempt,
            "input_count": sum(outcome.input_counts.values()),
            "duration_ms": outcome.duration_ms,
        }
        if outcome.status == NodeStatus.SUCCEEDED:
            self._record_exceptions(node_id, outcome)
            self.events.add(
                EventType.NODE_SUCCEEDED, node_id, {**payload, "output_counts": outcome.output_counts}
            )
        elif outcome.status == NodeStatus.WAITING:
            wake = outcome.wake_at
            self.events.add(
                EventType.NODE_WAITING,
                node_id,
                {**payload, "wake_at": wake.isoformat() if wake else None, **(outcome.suspend_state or {})},
            )
        elif outcome.status == NodeStatus.RETRYING:
            self.events.add(
                EventType.NODE_RETRYING,
                node_id,
                {**payload, "error": outcome.error, "retry_in_s": outcome.retry_in_s},
            )
        else:
            if outcome.continued and self.run is not None:
                items = (outcome.outputs or {}).get("main") or (outcome.outputs or {}).get("error") or []
                self._failures += failure_records.for_items(self.run, node_id, outcome.error, items)
            self.events.add(
                EventType.NODE_FAILED,
                node_id,
                {
                    **payload,
                    "error": outcome.error,
                    "continued": outcome.continued,
                    "output_counts": outcome.output_counts,
                },
            )

    # ------------------------------------------------------------------ readiness (decided by the scheduler)
    def _candidates(self) -> list[str]:
        due: set[str] = set()
        if any(s.status in PARKED_NODE for s in self.states.values()):
            due = set(
                NodeRun.objects.filter(
                    run_id=self.run_id, status__in=list(PARKED_NODE), next_attempt_at__lte=Now()
                ).values_list("node_id", flat=True)
            )
        return scheduler.ready_nodes(self.plan, self.states, scope=self._scope(), due_retries=due)

    def _scope(self) -> frozenset[str]:
        if self._scope_cache is None:
            self._scope_cache = scheduler.scope_of(self.plan, self._only_node())
        return self._scope_cache

    def _only_node(self) -> str | None:
        return (self.run.options or {}).get("only_node")

    def _claim_ready(self, exclude: set[str]) -> list[str]:
        """Settle skips, then claim what can run: side-effect nodes get rows; extras fan out."""
        while True:
            ready = [n for n in self._candidates() if n not in exclude]
            skipped = [n for n in ready if self._should_skip(n)]
            for node_id in skipped:
                self._record_skip(node_id)
            if not skipped:
                break
        inline, fan_out, pure = scheduler.split_claims(
            ready, side_effect=lambda n: is_side_effect(self.plan.nodes[n].type), inline_only=self.inline_only
        )
        others_busy = any(
            s.status in CLAIMED_NODE and s.row_id is not None and not s.claim for s in self.states.values()
        )
        claim_pure = bool(fan_out) or others_busy
        for node_id in inline:
            self._claim(node_id, NodeStatus.RUNNING)
        for node_id in fan_out:
            self._claim(node_id, NodeStatus.QUEUED)
            self._enqueue_branch(node_id)
        for node_id in pure:
            if claim_pure:
                self._claim(node_id, NodeStatus.RUNNING)
            else:
                self.states[node_id] = NodeState(status=NodeStatus.RUNNING)
        return inline + pure

    def _claim(self, node_id: str, status: str) -> None:
        state = self.states.get(node_id)
        resumed = bool(state and state.status == NodeStatus.WAITING)
        if state and state.status == NodeStatus.RETRYING:
            attempt = state.attempt + 1
        else:
            attempt = state.attempt if resumed else 1
        first_attempt_at = state.first_attempt_at if state else None
        if state and state.row_id and state.row_id > 0:
            token = state.db_claim + 1
            NodeRun.objects.filter(pk=state.row_id).update(
                status=status, claim_token=token, attempt=attempt, heartbeat_at=Now(), next_attempt_at=None
            )
            row_id = state.row_id
        else:
            token = 1
            now = timezone.now()
            first_attempt_at = now
            row_id = NodeRun.objects.create(
                run_id=self.run_id,
                node_id=node_id,
                status=status,
                claim_token=token,
                attempt=attempt,
                heartbeat_at=now,
                started_at=now,
                first_attempt_at=now,
            ).pk
        new_state = NodeState(
            status=status,
            attempt=attempt,
            row_id=row_id,
            claim=token,
            first_attempt_at=first_attempt_at,
            resumable=resumed or bool(state and state.resumable),
        )
        new_state.db_claim = token
        self.states[node_id] = new_state
        if status == NodeStatus.RUNNING:
            # Written by this claim's step, so watchers see the node running while it runs. (A queued
            # branch says so when its task takes it; a pure node kept in memory sends only its result,
            # which would arrive with its start anyway.)
            self.events.add(EventType.NODE_STARTED, node_id, {"attempt": attempt})

    def _enqueue_branch(self, node_id: str) -> None:
        claim = self.states[node_id].claim
        # The branch task carries only ids and its claim token.
        dispatch.after_commit(lambda: dispatch.run_branch(self.run_id, node_id, claim))
        self.states[node_id].claim = 0  # the branch task owns it now, not us

    def _update_sole(self, mine: list[str]) -> None:
        self.sole = not self.inline_only and not any(
            s.status in CLAIMED_NODE and nid not in mine for nid, s in self.states.items()
        )
        if self.inline_only:
            self.sole = True

    def _failed_node(self) -> str | None:
        return scheduler.stopping_failure(self.states)

    def _all_settled(self) -> bool:
        return scheduler.settled(self.states, self._scope())

    # ------------------------------------------------------------------ inputs, skipping
    def inputs_for(self, node_id: str) -> dict[str, list]:
        options = self.run.options or {}
        return scheduler.node_inputs(
            self.plan,
            node_id,
            outputs_of=self._outputs_of,
            run_input=self.run.input_items or [],
            pinned=options.get("pinned"),
            only_node=options.get("only_node"),
        )

    def _outputs_of(self, node_id: str) -> dict[str, list]:
        if node_id in self.outputs:
            return self.outputs[node_id]
        status, outputs = read_outputs(self.run_id, node_id)  # a large one spooled, a chunk at a time
        # Cache only final outputs: a node another executor still runs must not starve a later join here.
        if status in TERMINAL_NODE:
            self.outputs[node_id] = outputs
        return outputs

    def _should_skip(self, node_id: str) -> bool:
        if not self.plan.incoming.get(node_id):
            return False  # a first node is never skipped (and its inputs need no reading)
        return scheduler.should_skip(
            self.plan,
            node_id,
            self.inputs_for(node_id),
            always_runs=always_runs(self.plan.nodes[node_id].type),
            only_node=self._only_node(),
        )

    def _record_skip(self, node_id: str) -> None:
        now = timezone.now()
        outcome = Outcome("skipped", started_at=now, finished_at=now, duration_ms=0.0)
        self.outputs[node_id] = {}
        if self.sole:
            self.states[node_id] = NodeState(status=NodeStatus.SKIPPED)
            self.unsaved[node_id] = outcome
            self._emit_outcome(node_id, outcome)
        else:
            self.states[node_id] = NodeState(status=NodeStatus.RUNNING)
            self._write_completed({node_id: outcome})

    # ------------------------------------------------------------------ executing
    def _execute(self, node_id: str) -> Outcome:
        if node_id.startswith(saga.TODO_PREFIX):
            return self._execute_undo(node_id.removeprefix(saga.TODO_PREFIX))
        spec = self.plan.nodes[node_id]
        state = self.states[node_id]
        inputs = self.inputs_for(node_id)
        resume, waited_s = self._resume_info(node_id, state)
        ctx = build_context(
            self.run,
            node_id,
            state.attempt,
            resume=resume,
            outputs_of=self._outputs_of,
            known_nodes=self.plan.nodes,
            finished_nodes=self._finished_nodes,
            run_subflow=lambda flow_id, items: run_subflow(
                parent=self.run, parent_node_id=node_id, flow_id=flow_id, items=items, drive=_drive_inline
            ),
        )
        outcome = run_node(spec, ctx, inputs, state.attempt, waited_s=waited_s)
        if outcome.status in (NodeStatus.SUCCEEDED, NodeStatus.FAILED):
            self.outputs[node_id] = outcome.outputs
        return outcome

    def _execute_undo(self, node_id: str) -> Outcome:
        """Undo a completed step: its compensation node runs on the step's output items."""
        attempt = self._undo_attempts.get(node_id, 1)
        spec = saga.undo_spec(self.plan, node_id)
        inputs = {"main": list(self._outputs_of(node_id).get("main", []))}
        ctx = build_context(
            self.run,
            f"{node_id}~undo",
            attempt,
            outputs_of=self._outputs_of,
            known_nodes=self.plan.nodes,
            finished_nodes=self._finished_nodes,
            run_subflow=lambda flow_id, items: [],
        )
        return run_node(spec, ctx, inputs, attempt)

    def _resume_info(self, node_id: str, state: NodeState) -> tuple[dict[str, Any] | None, float]:
        """What a parked node resumes with, and how long ago its first attempt started."""
        waited_s = 0.0
        if state.first_attempt_at is not None and state.attempt > 1:
            waited_s = max(0.0, (timezone.now() - state.first_attempt_at).total_seconds())
        if not state.resumable or not state.row_id or state.row_id < 0:
            return None, waited_s
        row = NodeRun.objects.filter(pk=state.row_id).values("suspend_state", "resume_payload").first()
        if not row or row["suspend_state"] is None:
            return None, waited_s
        payload = row["resume_payload"]
        reason = (payload or {}).get("reason") or "timer"
        resume = {"reason": reason, "state": row["suspend_state"], "payload": payload}
        return resume, waited_s

    def _may_keep_in_memory(self, node_id: str, outcome: Outcome) -> bool:
        return (
            not node_id.startswith(saga.TODO_PREFIX)
            and self.sole
            and self.states[node_id].row_id is None
            and outcome.status == NodeStatus.SUCCEEDED
            and not is_side_effect(self.plan.nodes[node_id].type)
        )

    def _remember(self, node_id: str, outcome: Outcome) -> None:
        self.states[node_id] = NodeState(status=NodeStatus.SUCCEEDED, attempt=outcome.attempt)
        self.unsaved[node_id] = outcome
        self._emit_outcome(node_id, outcome)

    def _settle_in_memory(self, done: str) -> tuple[list[str], bool]:
        """Successors of ``done`` that became ready while this executor runs alone.

        Pure ones are returned to run inline (skips applied on the way); a ready side-effect node is only
        reported, so the caller takes a step that claims it before it runs.
        """
        ready: list[str] = []
        effect_ready = False
        scope = self._scope()
        work = scheduler.newly_ready_after(self.plan, self.states, done, scope=scope)
        while work:
            node_id = work.pop(0)
            if node_id in self.states:
                continue
            if self._should_skip(node_id):
                self._record_skip(node_id)
                work.extend(scheduler.newly_ready_after(self.plan, self.states, node_id, scope=scope))
            elif is_side_effect(self.plan.nodes[node_id].type):
                effect_ready = True
            else:
                self.states[node_id] = NodeState(status=NodeStatus.RUNNING)
                ready.append(node_id)
        return ready, effect_ready

    def _finished_nodes(self) -> list[str]:
        return [n for n, s in self.states.items() if s.status in TERMINAL_NODE and n in self.plan.nodes]

    # ------------------------------------------------------------------ finishing
    def _finalise(self, run: Run, status: str, error: dict | None = None) -> None:
        run.status = status
        run.finished_at = timezone.now()
        run.error = error
        run.output_items = self._final_output()
        payload: dict[str, Any] = {"status": status, "duration_ms": run.duration_ms}
        if error:
            payload["error"] = error
        self.events.add(EventType.for_run_status(status), payload=payload)
        # After-commit work runs in registration order: the waiting caller is told first.
        waiter = (run.options or {}).get("waiter")
        if waiter:
            self._notify_waiter(run, waiter)
        admission.freed(run.organisation_id)
        if status == RunStatus.FAILED:
            self._failures.append(failure_records.for_run(run, error))
        if status == RunStatus.FAILED and run.origin != RunOrigin.ERROR_FLOW:
            dispatch.after_commit(lambda: dispatch.start_error_flow(run.pk))

    @staticmethod
    def _notify_waiter(run: Run, waiter: str) -> None:
        """Hand the result to the webhook caller waiting for it (small outputs travel inline)."""
        from .waiters import notify

        output = run.output_items
        if output is not None and len(json.dumps(output, default=str)) > WAITER_INLINE_BYTES:
            output = None  # the caller reads it from the database instead
        message = {"run_id": run.pk, "status": run.status, "output_items": output, "error": run.error}
        transaction.on_commit(lambda: notify(waiter, message))

    def _final_output(self) -> list:
        output = scheduler.final_output(self.plan, self.states, self._outputs_of)
        return list(output) if is_spooled(output) else output

    def _node_error(self, node_id: str) -> dict[str, Any]:
        row = NodeRun.objects.filter(run_id=self.run_id, node_id=node_id).values("error").first()
        error = dict((row or {}).get("error") or {})
        error["node_id"] = node_id
        error.setdefault("message", "node failed")
        error.setdefault("hint", "Fix the cause, then retry the run from this node in the failed-runs queue.")
        return error
