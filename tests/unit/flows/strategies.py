"""Hypothesis strategies for flow documents (plain JSON, nodes keyed by id, edges among the nodes)."""

from __future__ import annotations

from hypothesis import strategies as st

NODE_IDS = ["t", "a", "b", "c", "d", "e"]
CONFIG_KEYS = ["soql", "fields", "limit", "mode"]

scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(["x", "y", "z"]))
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.sampled_from(["k1", "k2", "k3"]), scalars, max_size=3),
)
configs = st.dictionaries(st.sampled_from(CONFIG_KEYS), values, max_size=4)


@st.composite
def nodes(draw, ids=NODE_IDS):
    chosen = draw(st.lists(st.sampled_from(ids), unique=True, max_size=len(ids)))
    return [
        {
            "id": nid,
            "type": draw(st.sampled_from(["transform.map", "logic.if"])),
            "label": draw(st.sampled_from([nid, nid.upper()])),
            "position": {"x": draw(st.integers(0, 2)), "y": 0},
            "config": draw(configs),
        }
        for nid in chosen
    ]


@st.composite
def documents(draw, ids=NODE_IDS):
    ns = draw(nodes(ids))
    node_ids = [n["id"] for n in ns]
    edges = []
    if len(node_ids) >= 2:
        pairs = draw(
            st.lists(
                st.tuples(st.sampled_from(node_ids), st.sampled_from(node_ids)).filter(
                    lambda p: p[0] != p[1]
                ),
                unique=True,
                max_size=5,
            )
        )
        edges = [
            {"id": f"{s}-{t}", "source": s, "source_port": "main", "target": t, "target_port": "main"}
            for s, t in pairs
        ]
    return {"schema_version": 1, "nodes": ns, "edges": edges}
