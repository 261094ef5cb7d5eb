"""A hostile chip: any bytes it sends end in a ChipError (or a failed check), never a crash."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egate.chip import lds, pace, tlv
from egate.chip.errors import ChipError
from egate.chip.pa import MasterList, passive_authentication
from egate.chip.sm import SecureMessaging

from .conftest import MRZ

# Mostly well-formed TLV shells with random insides, plus plain noise.
_payload = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda t, v: tlv.encode(t, v), st.sampled_from([0x60, 0x61, 0x75, 0x77, 0x31, 0x6E, 0x6F]),
              st.binary(max_size=300)),
    st.builds(lambda v: tlv.encode(0x75, tlv.encode(0x7F61, v)), st.binary(max_size=300)),
)


@settings(max_examples=300, deadline=None)
@given(raw=_payload)
def test_lds_parsers_raise_only_chip_errors(raw: bytes) -> None:
    for parse in (lds.parse_com, lds.parse_dg1, lds.parse_dg2, pace.parse_card_access):
        try:
            parse(raw)
        except ChipError:
            pass


@settings(max_examples=200, deadline=None)
@given(raw=_payload)
def test_garbage_sod_is_a_failed_check(raw: bytes) -> None:
    result = passive_authentication(raw, {1: lds.build_dg1(MRZ)}, MasterList(), MRZ)
    assert not result.passed


@settings(max_examples=300, deadline=None)
@given(body=st.binary(min_size=1, max_size=120), cipher=st.sampled_from(["3des", "aes"]))
def test_garbage_sm_response_is_refused(body: bytes, cipher: str) -> None:
    sm = SecureMessaging(bytes(range(16)), bytes(range(16, 32)), 7, cipher)  # type: ignore[arg-type]
    with pytest.raises(ChipError):
        sm.unprotect(body, 0x9000)
