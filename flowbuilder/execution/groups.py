"""Channels group names. One place, so publishers and consumers cannot disagree."""


def run_group(run_id: int) -> str:
    """Watchers of one run (the run view's websocket) listen here."""
    return f"run.{run_id}"
