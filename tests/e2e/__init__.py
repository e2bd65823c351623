"""Browser tests. Every screenshot goes to ARTIFACTS (test-artifacts/e2e/ in the checkout, ignored by git)."""

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
