"""The simulated market: which venues (SIM-A and SIM-B over HTTP, SIM-F over FIX 4.4), which
instruments, and the seed's books."""

from __future__ import annotations

import uuid
from decimal import Decimal

from venues.simulator.book import Book
from venues.simulator.faults import Dice
from venues.simulator.state import StateFile
from venues.simulator.venue import Venue, VenueSpec

VENUES = (
    VenueSpec("SIM-A", taker_fee_rate=Decimal("0.001")),
    VenueSpec("SIM-B", taker_fee_rate=Decimal("0.001")),
    VenueSpec("SIM-F", taker_fee_rate=Decimal("0.001"), protocol="fix"),  # over FIX 4.4 only
)
INSTRUMENTS = ("BTC-USD", "ETH-USD")

# The seed's market (`--seed-books`): SIM-A has the better BTC price, SIM-B the depth.
SEED_BOOKS: dict[tuple[str, str], dict[str, list[list[str]]]] = {
    ("SIM-A", "BTC-USD"): {"asks": [["9980", "1.2"]], "bids": [["9970", "2"]]},
    ("SIM-B", "BTC-USD"): {"asks": [["9985", "5"]], "bids": [["9975", "4"]]},
    ("SIM-A", "ETH-USD"): {"asks": [["2000", "10"]], "bids": [["1995", "10"]]},
    ("SIM-B", "ETH-USD"): {"asks": [["2001", "20"]], "bids": [["1996", "20"]]},
    # SIM-F never beats SIM-A or SIM-B here, and sits outside the limits (10000 and within) that
    # the seed's scenarios use, so those orders fill on SIM-A/SIM-B as before.
    ("SIM-F", "BTC-USD"): {"asks": [["10100", "5"]], "bids": [["9900", "5"]]},
    ("SIM-F", "ETH-USD"): {"asks": [["2020", "20"]], "bids": [["1980", "20"]]},
}


def make_venues(
    *, seed: int | None = None, seed_books: bool = False, state: StateFile | None = None
) -> dict[str, Venue]:
    """The venues of one simulator run: those the state file kept (same session, same ids
    and seqs going on), else fresh ones. With `seed`, each venue's fault dice are
    reproducible and independent of the traffic at the other venue."""
    state = state or StateFile(None)
    session = state.meta("session")
    if session is None:
        session = uuid.uuid4().hex[:8]
        state.set_meta("session", session)
        state.commit()
    venues = {
        spec.name: Venue(
            spec,
            INSTRUMENTS,
            session=session,
            dice=Dice(None if seed is None else f"{seed}:{spec.name}"),
            state=state.venue(spec.name),
        )
        for spec in VENUES
    }
    kept = {name for name, venue in venues.items() if venue.has_state}
    if seed_books:
        for (venue, instrument), sides in SEED_BOOKS.items():
            if venue not in kept:  # a restart keeps the books as they were
                venues[venue].set_book(instrument, Book.parse(sides["asks"], sides["bids"]))
    return venues
