"""The projector keeps every delta of an order (OrderStateChange), once; a rebuild keeps them."""

from __future__ import annotations

from decimal import Decimal

from backoffice import models as rm
from backoffice import projector
from backoffice.rebuild import read_models_rebuild
from tests.integration.backoffice.test_projector import _Renamed, published


def history(order_id: str) -> list[tuple[int, str, Decimal]]:
    rows = rm.OrderStateChange.objects.filter(order_id=order_id).order_by("seq")
    return list(rows.values_list("seq", "state", "filled_quantity"))


def test_each_delta_is_one_row_and_a_redelivery_adds_none(seed, kafka_bootstrap):
    messages = published(seed.db)
    assert projector.handle_messages(messages) == []
    first = history(seed.order_id)
    assert [seq for seq, _, _ in first] == [1, 2, 3, 4, 5, 6]
    assert first[-1] == (6, "filled", Decimal("3"))
    assert first[0][2] == 0
    assert len({state for _, state, _ in first}) > 1

    assert projector.handle_messages(messages) == []  # the same messages again
    assert projector.handle_messages([_Renamed(m) for m in messages]) == []  # under new ids
    assert projector.handle_messages(list(reversed(messages))) == []
    assert history(seed.order_id) == first
    assert rm.OrderStateChange.objects.filter(order_id=seed.order_id).count() == 6


def test_a_rebuild_keeps_the_history_and_alone_writes_the_latest_state(seed, kafka_bootstrap):
    projector.handle_messages(published(seed.db))
    projected = history(seed.order_id)
    read_models_rebuild()
    assert history(seed.order_id) == projected  # the store keeps no history: kept, not lost

    rm.OrderStateChange.objects.all().delete()
    read_models_rebuild()
    assert history(seed.order_id) == [projected[-1]]  # from the store alone: the latest state
