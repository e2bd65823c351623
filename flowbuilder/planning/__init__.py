"""Pure planning (no ORM): ``build_plan(doc) -> ExecutionPlan``."""

from .build import build_plan
from .plan import ExecutionPlan, Link, NodeSpec

__all__ = ["ExecutionPlan", "Link", "NodeSpec", "build_plan"]
