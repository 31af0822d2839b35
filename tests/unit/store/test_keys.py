"""Keys: the string fast path of Subspace.pack writes exactly the tuple layer's bytes, and
prefix ranges (strinc, key_range) are those of fdb.impl."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.store.api import key_range, strinc
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


def test_strinc_is_the_first_key_after_every_key_with_the_prefix():
    assert strinc(b"a") == b"b"
    assert strinc(b"a\x00") == b"a\x01"
    assert strinc(b"a\xff\xff") == b"b"  # trailing 0xFF bytes cannot be incremented
    assert strinc(b"\x00\xfe") == b"\x00\xff"


def test_strinc_refuses_a_key_of_only_0xff():
    for key in (b"", b"\xff", b"\xff\xff"):
        with pytest.raises(ValueError, match="0xFF"):
            strinc(key)


@given(st.binary(min_size=1).filter(lambda b: b.strip(b"\xff")), st.binary())
def test_key_range_holds_exactly_the_keys_with_the_prefix(prefix, suffix):
    begin, end = key_range(prefix)
    assert begin <= prefix + suffix < end
    assert strinc(prefix) == end


def test_key_range_of_a_tuple_prefix_excludes_longer_elements():
    begin, end = key_range(pack(("order",)))
    assert begin <= pack(("order", 1, "x")) < end
    assert not begin <= pack(("orders",)) < end  # "orders" is not inside ("order", ...)


@given(st.lists(st.text(), max_size=3), st.integers(min_value=0, max_value=65535))
def test_versionstamped_string_keys_pack_like_the_tuple_layer(items, user_version):
    from infra.store.keys import Versionstamp, pack_with_versionstamp

    space = Subspace(("outbox",))["message"]
    t = (*items, Versionstamp(user_version=user_version))
    assert space.pack_with_versionstamp(t) == pack_with_versionstamp(("outbox", "message", *t))


@given(st.lists(elements, max_size=3))
def test_cached_keys_stay_exact_for_equal_but_different_elements(items):
    space = Subspace(("c",))
    for t in (tuple(items), (1,), (True,), (1.0,), ("1",), tuple(items)):
        assert space.pack(t) == pack(("c", *t))
