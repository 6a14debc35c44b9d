"""
Reading the JSON output of ``salt-run state.orchestrate ... --out=json``: the steps, what
each minion changed, what failed. Used by the demo and the benchmark.
"""

import json

# The pillar refresh (a module.run) reports its return as a change on every run; it is not a
# change to a node's configuration. The module sync in the same step reports a change only
# when a file was synced: that one counts.
NOT_CONFIGURATION = ("datera-refresh-pillar",)


def decode(text):
    """The JSON document in salt-run's output. salt-run prints "No minions matched the
    target..." once per step whose target matched nothing, before the JSON."""
    start = (text or "").find("{")
    if start < 0:
        return {}
    try:
        return json.JSONDecoder().raw_decode(text[start:])[0]
    except ValueError:
        return {}


def steps(data):
    """The orchestration's step returns keyed by state id ({} if there are none)."""
    data = data.get("data", data) if isinstance(data, dict) else {}
    chunks = next(iter(data.values()), {}) if data else {}
    if not isinstance(chunks, dict):
        return {}
    return {c["__id__"]: c for c in chunks.values() if isinstance(c, dict) and "__id__" in c}


def in_order(data):
    """The step returns in the order they ran."""
    return sorted(steps(data).values(), key=lambda c: c.get("__run_num__", 0))


def minion_states(step):
    """``{minion: {state key: state return}}`` of one ``salt.state`` step."""
    changes = step.get("changes") or {}
    ret = changes.get("ret") if isinstance(changes, dict) else None
    return {m: s for m, s in (ret or {}).items() if isinstance(s, dict)}


def changed_states(step):
    """``["<minion>:<state id>", ...]`` that reported changes in one step."""
    changed = [
        f"{minion}:{state.get('__id__', key)}"
        for minion, states in minion_states(step).items()
        for key, state in states.items()
        if isinstance(state, dict) and state.get("changes")
    ]
    if not minion_states(step) and step.get("changes"):
        changed = ["(step)"]
    return changed


def configuration_changes(data):
    """The changed states of every step, but the pillar refresh."""
    return [
        change
        for step in in_order(data)
        for change in changed_states(step)
        if change.rpartition(":")[2] not in NOT_CONFIGURATION
    ]


def failed_steps(data):
    return {
        step["__id__"]: str(step.get("comment"))
        for step in in_order(data)
        if step.get("result") is False
    }


def restarted_on(data):
    """The minions whose ``datera_cib.restarted`` state restarted cinder-volume (reported a
    change), in any step: the evidence of "at most one restart per orchestration"."""
    return sorted(
        minion
        for step in in_order(data)
        for minion, states in minion_states(step).items()
        if any(
            s.get("__id__") == "datera-pacemaker-cinder-volume-restarted" and s.get("changes")
            for s in states.values()
            if isinstance(s, dict)
        )
    )
