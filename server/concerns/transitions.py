"""THE transition table of a concern. The service moves a concern only through next_state();
nothing else writes Concern.state (a property-based test walks it: tests/concerns/test_transitions.py).

未受付 new → 受付済 acknowledged → 対応中 in_progress → one closing state:
つながった linked, 見守り継続 watching (advice for the volunteer), 対応終了 closed (with a reason).
From new, acknowledged or in_progress: 転送 transfer to another organisation, arriving there as new.
A closing state can be reopened by its organisation (with a reason), back to in_progress.
The system closes open concerns about a person who has died (close_on_death, no reminders);
undoing the contact that raised a concern withdraws it while it is still new (withdraw).
"""
from __future__ import annotations

from server.errors import Invalid
from server.i18n import N_

STATES = ("new", "acknowledged", "in_progress", "linked", "watching", "closed")
OPEN = ("new", "acknowledged", "in_progress")
CLOSING = ("linked", "watching", "closed")

TABLE: dict[tuple[str, str], str] = {
    ("new", "acknowledge"): "acknowledged",
    ("acknowledged", "start"): "in_progress",
    ("in_progress", "link"): "linked",
    ("in_progress", "watch"): "watching",
    ("in_progress", "close"): "closed",
    **{(s, "transfer"): "new" for s in OPEN},
    **{(s, "reopen"): "in_progress" for s in CLOSING},
    **{(s, "close_on_death"): "closed" for s in OPEN},
    # The reporter's undo of the contact that raised it, while nobody has acknowledged it yet.
    ("new", "withdraw"): "closed",
}
ACTIONS = tuple(sorted({a for _s, a in TABLE}))
# Actions only the system takes (never offered on a page).
SYSTEM_ACTIONS = {"close_on_death", "withdraw"}
# Actions that need a reason (or, for the closing ones, a message for the reporter).
NEEDS_REASON = {"transfer", "reopen", "close"}


def next_state(state: str, action: str) -> str:
    """The state after `action`, or Invalid when the table has no such edge."""
    try:
        return TABLE[(state, action)]
    except KeyError:
        raise Invalid(fields={"action": N_("This step is not possible in the concern's current state.")}) from None


def actions_from(state: str) -> list[str]:
    """What a professional can do next (the page offers exactly these)."""
    return [a for (s, a) in TABLE if s == state and a not in SYSTEM_ACTIONS]


def reporter_status(state: str) -> str:
    """What the reporter sees: sent / acknowledged / in progress / done (never the inner states)."""
    return {"new": "sent", "acknowledged": "acknowledged", "in_progress": "in_progress"}.get(state, "done")
