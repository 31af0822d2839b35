"""Each queue's service-level objective: its oldest waiting message younger than a bound
(Kafka consumers, whose messages carry no send time here: their lag under a bound)."""

from __future__ import annotations

from dataclasses import dataclass

# Venue commands must reach their venue fast: an order waits on them.
AGE_BOUND_S = {"venue.": 5.0, "publisher": 5.0}
LAG_BOUND = {"ingest": 1_000, "projector": 10_000, "ws fanout": 1_000}


@dataclass(frozen=True)
class Objective:
    text: str  # "oldest < 5 s"
    breached: bool
    bound: float


def age_objective(queue: str, oldest_age_s: float | None) -> Objective | None:
    """The objective of a queue measured by its oldest message's age (None: no objective)."""
    bound = next((b for prefix, b in AGE_BOUND_S.items() if queue.startswith(prefix)), None)
    if bound is None:
        return None
    breached = oldest_age_s is not None and oldest_age_s >= bound
    return Objective(f"oldest < {bound:g} s", breached, bound)


def lag_objective(name: str, lag: int | None) -> Objective | None:
    """The objective of a Kafka consumer measured by its lag in messages."""
    bound = LAG_BOUND.get(name)
    if bound is None:
        return None
    return Objective(f"lag < {bound:,}", lag is not None and lag >= bound, bound)
