"""Channels group names. One place, so publishers and consumers cannot disagree."""


def run_group(run_id: int) -> str:
    return f"run.{run_id}"


def flow_group(flow_id: int) -> str:
    return f"flow.{flow_id}"


def organisation_group(organisation_id: int) -> str:
    return f"org.{organisation_id}"
