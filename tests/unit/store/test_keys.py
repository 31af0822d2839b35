"""The string fast path of Subspace.pack writes exactly the tuple layer's bytes."""

from hypothesis import given
from hypothesis import strategies as st

from infra.store.keys import Subspace, pack

elements = st.one_of(st.text(), st.integers(min_value=-(2**70), max_value=2**70), st.binary())


@given(st.lists(st.text(), max_size=4))
def test_strings_pack_like_the_tuple_layer(items):
    space = Subspace(("trading", "order"))
    assert space.pack(tuple(items)) == pack(("trading", "order", *items))
    assert space.unpack(space.pack(tuple(items))) == tuple(items)


@given(st.lists(elements, max_size=4))
def test_mixed_tuples_fall_back_to_the_tuple_layer(items):
    space = Subspace(("x",))["y"]
    assert space.pack(tuple(items)) == pack(("x", "y", *items))
