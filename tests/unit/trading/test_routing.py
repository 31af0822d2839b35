from decimal import Decimal

from trading.domain.routing import VenueQuote, VenueStatus, choose_route, protective_price

VENUES = [
    VenueStatus("SIM-A", Decimal("0.001"), True),
    VenueStatus("SIM-B", Decimal("0.001"), True),
]


def quote(venue, ask, size="5", version=1, bid=None):
    return VenueQuote(
        venue,
        "BTC-USD",
        Decimal(bid) if bid else None,
        Decimal(size) if bid else Decimal(0),
        Decimal(ask) if ask else None,
        Decimal(size),
        version,
    )


SEED = [quote("SIM-A", "9980", "1.2"), quote("SIM-B", "9985", "5")]


def route(**kw):
    args = dict(buy=True, remaining=Decimal("3.0"), limit_price=None, quotes=SEED, venues=VENUES)
    return choose_route(**{**args, **kw})


def test_seed_order_goes_whole_to_the_best_ask():
    chosen = route()
    assert (chosen.venue, chosen.quantity) == ("SIM-A", Decimal("3.0"))


def test_after_ea1_ends_short_the_stale_venue_is_skipped_until_its_book_moves():
    assert route(remaining=Decimal("1.8"), stale={"SIM-A": 1}).venue == "SIM-B"
    fresh = [quote("SIM-A", "9980", "1", version=2), SEED[1]]
    assert route(quotes=fresh, stale={"SIM-A": 1}).venue == "SIM-A"


def test_a_limit_is_respected_and_nothing_inside_it_means_no_route():
    assert route(limit_price=Decimal("9970")) is None
    assert route(limit_price=Decimal("9982")).venue == "SIM-A"


def test_ties_go_to_the_lower_fee_then_the_name():
    venues = [
        VenueStatus("SIM-A", Decimal("0.002"), True),
        VenueStatus("SIM-B", Decimal("0.001"), True),
    ]
    tied = [quote("SIM-A", "9980"), quote("SIM-B", "9980")]
    assert route(quotes=tied, venues=venues).venue == "SIM-B"
    assert route(quotes=tied).venue == "SIM-A"


def test_unavailable_and_unpinned_venues_are_not_chosen():
    down = [VenueStatus("SIM-A", Decimal("0.001"), False), VENUES[1]]
    assert route(venues=down).venue == "SIM-B"
    assert route(pinned_venue="SIM-B").venue == "SIM-B"


def test_sells_take_the_highest_bid():
    quotes = [quote("SIM-A", None, "1", bid="9970"), quote("SIM-B", None, "1", bid="9975")]
    assert route(buy=False, quotes=quotes).venue == "SIM-B"


def test_protective_price_is_on_the_tick():
    assert protective_price(
        buy=True, quotes=SEED, collar=Decimal("0.05"), tick=Decimal("0.01")
    ) == Decimal("10479.00")
