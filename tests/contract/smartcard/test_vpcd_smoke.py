"""Smoke test of the card emulator: pyscard sees the vpcd card through a real pcscd."""

from __future__ import annotations

from smartcard.System import readers

from kiosk.devices.smartcard.pcscd_ns import PcscdEnv, list_readers


def _echo_select(apdu: bytes) -> bytes:
    """SELECT answers 9000, everything else 'instruction not supported'."""
    return b"\x90\x00" if apdu[1:2] == b"\xa4" else b"\x6d\x00"


def test_pyscard_exchanges_apdu_with_emulated_card(pcscd_env: PcscdEnv) -> None:
    assert pcscd_env.reader_name in list_readers()
    with pcscd_env.card(_echo_select) as card:
        assert card.insert(wait_s=5), "pcscd never asked the virtual card for its ATR"
        assert pcscd_env.wait_card(present=True), "PC/SC never reported the card present"
        reader = next(r for r in readers() if str(r) == pcscd_env.reader_name)
        conn = reader.createConnection()
        conn.connect()
        try:
            assert bytes(conn.getATR()) == card.atr
            data, sw1, sw2 = conn.transmit([0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x01])
            assert (data, sw1, sw2) == ([], 0x90, 0x00)
            data, sw1, sw2 = conn.transmit([0x00, 0xB0, 0x00, 0x00, 0x10])
            assert (sw1, sw2) == (0x6D, 0x00)
        finally:
            conn.disconnect()
        assert card.apdus == [bytes.fromhex("00A4040002A001"), bytes.fromhex("00B0000010")]
        card.remove()
        assert pcscd_env.wait_card(present=False), "PC/SC never reported the card removed"


def test_second_slot_is_a_separate_reader(pcscd_env: PcscdEnv) -> None:
    with pcscd_env.card(lambda apdu: b"\x62\x83", slot=1) as card:
        assert card.insert(wait_s=5)
        assert pcscd_env.wait_card(present=True, slot=1)
        reader = next(r for r in readers() if str(r) == pcscd_env.readers[1])
        conn = reader.createConnection()
        conn.connect()
        try:
            assert conn.transmit([0x00, 0xA4, 0x00, 0x0C, 0x02, 0x01, 0x01])[1:] == (0x62, 0x83)
        finally:
            conn.disconnect()
