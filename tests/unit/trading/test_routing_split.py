"""The split allocator (trading/domain/routing_split.py): examples, then properties."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from trading.domain.routing import VenueQuote, VenueStatus, choose_route
from trading.domain.routing_split import fill_ratio, split_routes

STEP = Decimal("0.0001")
FEE = Decimal("0.001")


def book(venue, asks=(), bids=(), version=1):
    asks = tuple((Decimal(p), Decimal(q)) for p, q in asks)
    bids = tuple((Decimal(p), Decimal(q)) for p, q in bids)
    return VenueQuote(
        venue,
        "BTC-USD",
        bids[0][0] if bids else None,
        bids[0][1] if bids else Decimal(0),
        asks[0][0] if asks else None,
        asks[0][1] if asks else Decimal(0),
        version,
        asks,
        bids,
    )


def status(name, fee=FEE, available=True):
    return VenueStatus(name, Decimal(fee), available)


def split(quotes, quantity, *, buy=True, venues=None, limit=None, **kw):
    venues = venues or [status(q.venue) for q in quotes]
    routes = split_routes(
        buy=buy,
        quantity=Decimal(quantity),
        limit_price=None if limit is None else Decimal(limit),
        quotes=quotes,
        venues=venues,
        step=STEP,
        min_quantity=STEP,
        **kw,
    )
    return {r.venue: r.quantity for r in routes}


# --- examples ------------------------------------------------------------------------------


def test_the_seed_books_split_3_btc_as_the_books_show_them():
    quotes = [book("SIM-A", [("9980", "1.2")]), book("SIM-B", [("9985", "5")])]
    assert split(quotes, "3.0") == {"SIM-A": Decimal("1.2"), "SIM-B": Decimal("1.8")}


def test_depth_past_the_top_is_taken_when_it_is_cheaper_than_another_venue_s_top():
    quotes = [
        book("SIM-A", [("9980", "1"), ("9981", "1"), ("9990", "5")]),
        book("SIM-B", [("9985", "5")]),
    ]
    assert split(quotes, "3") == {"SIM-A": Decimal("2"), "SIM-B": Decimal("1")}


def test_fees_rank_the_levels_a_cheaper_price_with_a_dearer_fee_can_lose():
    quotes = [book("SIM-A", [("9980", "1")]), book("SIM-B", [("9985", "5")])]
    venues = [status("SIM-A", "0.002"), status("SIM-B", "0")]
    # SIM-A's 9980 costs 9999.96 after its fee; SIM-B's 9985 costs 9985: all of it to SIM-B.
    assert split(quotes, "2", venues=venues) == {"SIM-B": Decimal("2")}


def test_a_venue_with_a_poor_fill_ratio_is_credited_with_that_share_of_its_book():
    quotes = [book("SIM-A", [("9980", "2")]), book("SIM-B", [("9985", "5")])]
    shares = split(quotes, "3", fill_ratios={"SIM-A": Decimal("0.5")})
    assert shares == {"SIM-A": Decimal("1"), "SIM-B": Decimal("2")}


def test_what_no_book_shows_goes_to_the_default_route_s_venue():
    quotes = [book("SIM-A", [("9980", "1")]), book("SIM-B", [("9985", "1")])]
    assert split(quotes, "5") == {"SIM-A": Decimal("4"), "SIM-B": Decimal("1")}


def test_halted_excluded_stale_and_unpinned_venues_get_nothing():
    quotes = [
        book("SIM-A", [("9980", "1")]),
        book("SIM-B", [("9985", "1")], version=3),
        book("SIM-C", [("9986", "1")]),
        book("SIM-D", [("9987", "1")]),
    ]
    venues = [status("SIM-A", available=False), status("SIM-B"), status("SIM-C"), status("SIM-D")]
    shares = split(quotes, "4", venues=venues, stale={"SIM-B": 3}, exclude={"SIM-C"})
    assert shares == {"SIM-D": Decimal("4")}
    assert split(quotes, "4", venues=venues, pinned_venue="SIM-C") == {"SIM-C": Decimal("4")}
    assert split(quotes, "4", venues=venues, pinned_venue="SIM-A") == {}


def test_nothing_inside_the_limit_means_no_route_and_a_sell_takes_the_bids():
    quotes = [book("SIM-A", [("9980", "1")], [("9970", "1")]), book("SIM-B", [], [("9975", "1")])]
    assert split(quotes, "1", limit="9970") == {}
    assert split(quotes, "2", buy=False) == {"SIM-B": Decimal("1"), "SIM-A": Decimal("1")}
    assert split(quotes, "2", buy=False, limit="9972") == {"SIM-B": Decimal("2")}


def test_max_routes_folds_the_rest_into_the_default_route_s_venue():
    quotes = [book(f"V{i}", [(str(9980 + i), "1")]) for i in range(4)]
    assert split(quotes, "4", max_routes=2) == {"V0": Decimal("3"), "V1": Decimal("1")}
    assert split(quotes, "4", max_routes=1) == {"V0": Decimal("4")}


def test_fill_ratio_is_one_without_enough_history_and_never_below_its_floor():
    assert fill_ratio(Decimal(0), Decimal(0), min_expected=Decimal(1)) == 1
    assert fill_ratio(Decimal("0.5"), Decimal(0), min_expected=Decimal(1)) == 1
    assert fill_ratio(Decimal(4), Decimal(1), min_expected=Decimal(1)) == Decimal("0.25")
    assert fill_ratio(Decimal(4), Decimal(0), min_expected=Decimal(1)) == Decimal("0.1")


# --- properties for any books --------------------------------------------------------------

VENUE_NAMES = ["V0", "V1", "V2", "V3"]


@st.composite
def markets(draw):
    """Books on 1-4 venues, their fees, availability, fill ratios, and an order against them."""
    count = draw(st.integers(1, 4))
    quotes, venues, ratios = [], [], {}
    for name in VENUE_NAMES[:count]:
        ask_prices = draw(st.lists(st.integers(9950, 10050), max_size=5, unique=True))
        bid_prices = draw(st.lists(st.integers(9850, 9949), max_size=5, unique=True))
        sizes = st.integers(1, 30000).map(lambda n: n * STEP)
        asks = sorted((Decimal(p), draw(sizes)) for p in ask_prices)
        bids = sorted(((Decimal(p), draw(sizes)) for p in bid_prices), reverse=True)
        quotes.append(book(name, asks, bids, version=draw(st.integers(1, 3))))
        fee = draw(st.sampled_from(["0", "0.0005", "0.001", "0.002"]))
        venues.append(status(name, fee, draw(st.booleans() | st.just(True))))
        ratio = draw(st.none() | st.integers(1, 10).map(lambda n: Decimal(n) / 10))
        if ratio is not None:
            ratios[name] = ratio
    buy = draw(st.booleans())
    quantity = draw(st.integers(1, 100000)) * STEP
    limit = draw(st.none() | st.integers(9850, 10050).map(Decimal))
    stale = draw(st.dictionaries(st.sampled_from(VENUE_NAMES[:count]), st.integers(0, 3)))
    pinned = draw(st.none() | st.sampled_from(VENUE_NAMES[:count]))
    return quotes, venues, ratios, buy, quantity, limit, stale, pinned


def true_book(quote, buy, ratio):
    """What the venue really holds: what it shows times its fill ratio, on the step."""
    return [
        (price, (size * ratio / STEP).to_integral_value(rounding="ROUND_FLOOR") * STEP)
        for price, size in quote.levels(buy)
    ]


def execute(levels, quantity, buy, limit, fee):
    """An IOC at the venue: what it fills, level by level, as (quantity, cost per unit)."""
    fills, left = [], quantity
    for price, size in levels:
        if left <= 0 or (limit is not None and (price > limit if buy else price < limit)):
            break
        take = min(size, left)
        if take > 0:
            unit = price * (1 + fee) if buy else -(price * (1 - fee))  # lower is better
            fills.append((take, unit))
            left -= take
    return fills


def cost_of_cheapest(fills, quantity):
    total, left = Decimal(0), quantity
    for size, unit in sorted(fills, key=lambda f: f[1]):
        take = min(size, left)
        total += take * unit
        left -= take
    return total


def run_routes(routes, quotes, venues, ratios, buy, limit):
    by_name = {q.venue: q for q in quotes}
    fees = {v.name: v.taker_fee_rate for v in venues}
    fills = []
    for venue, quantity in routes:
        levels = true_book(by_name[venue], buy, ratios.get(venue, Decimal(1)))
        fills += execute(levels, quantity, buy, limit, fees[venue])
    return fills


@settings(max_examples=150, deadline=None)
@given(markets())
def test_the_split_never_over_allocates_nor_uses_a_venue_it_may_not(market):
    quotes, venues, ratios, buy, quantity, limit, stale, pinned = market
    routes = split_routes(
        buy=buy,
        quantity=quantity,
        limit_price=limit,
        quotes=quotes,
        venues=venues,
        step=STEP,
        min_quantity=STEP,
        fill_ratios=ratios,
        pinned_venue=pinned,
        stale=stale,
    )
    assert sum((r.quantity for r in routes), Decimal(0)) <= quantity
    assert len({r.venue for r in routes}) == len(routes)
    available = {v.name for v in venues if v.available}
    versions = {q.venue: q.version for q in quotes}
    for r in routes:
        assert r.quantity >= STEP and r.quantity % STEP == 0
        assert r.venue in available, "a halted or down venue was routed to"
        assert stale.get(r.venue, -1) < versions[r.venue], "a stale quote was routed on"
        assert pinned is None or r.venue == pinned


@settings(max_examples=150, deadline=None)
@given(markets())
def test_the_split_fills_at_least_as_well_as_the_whole_to_best_route(market):
    quotes, venues, ratios, buy, quantity, limit, stale, pinned = market
    common = dict(buy=buy, limit_price=limit, quotes=quotes, venues=venues)
    common.update(pinned_venue=pinned, stale=stale)
    best = choose_route(remaining=quantity, **common)
    routes = split_routes(
        quantity=quantity, step=STEP, min_quantity=STEP, fill_ratios=ratios, **common
    )
    if best is None:
        assert routes == []
        return
    best_fills = run_routes([(best.venue, best.quantity)], quotes, venues, ratios, buy, limit)
    split_fills = run_routes(
        [(r.venue, r.quantity) for r in routes], quotes, venues, ratios, buy, limit
    )
    best_filled = sum((q for q, _ in best_fills), Decimal(0))
    split_filled = sum((q for q, _ in split_fills), Decimal(0))
    assert split_filled >= best_filled
    # For the quantity the whole-to-best route fills, the split's best fills cost no more
    # (a sell: bring no less) after fees.
    assert cost_of_cheapest(split_fills, best_filled) <= cost_of_cheapest(best_fills, best_filled)


@settings(max_examples=100, deadline=None)
@given(markets())
def test_with_one_usable_venue_the_split_is_the_default_route(market):
    quotes, venues, ratios, buy, quantity, limit, stale, pinned = market
    venue = quotes[0].venue
    best = choose_route(
        buy=buy,
        remaining=quantity,
        limit_price=limit,
        quotes=quotes,
        venues=venues,
        pinned_venue=venue,
    )
    routes = split_routes(
        buy=buy,
        quantity=quantity,
        limit_price=limit,
        quotes=quotes,
        venues=venues,
        step=STEP,
        min_quantity=STEP,
        fill_ratios=ratios,
        pinned_venue=venue,
    )
    assert [(r.venue, r.quantity) for r in routes] == (
        [] if best is None else [(best.venue, best.quantity)]
    )
