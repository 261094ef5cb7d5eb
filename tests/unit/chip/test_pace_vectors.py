"""PACE against the worked example of ICAO Doc 9303 Part 11, Appendix G.1 (ECDH generic
mapping, brainpoolP256r1, AES-128), and elliptic-curve arithmetic against ``cryptography``."""

from __future__ import annotations

import secrets

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from egate.chip import pace
from egate.chip.apdu import Command, split_response
from egate.chip.ecp import CURVES
from egate.chip.mrzkeys import MrzKeys

H = bytes.fromhex
KEYS = MrzKeys("T22000129", "640812", "101031")
INFO = pace.PaceInfo(pace.PACE_ECDH_GM_AES_128, 2, 13)
PK_MAP_IFD = ("047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
              "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D")
PK_MAP_IC = ("04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
             "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54")
PK_DH_IFD = ("042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
             "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462")
PK_DH_IC = ("049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
            "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094")
TRANSCRIPT = [
    ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
    ("10860000027C0000", ("7C128010" "95A3A016522EE98D01E76CB6B98B42C3" "9000")),
    ("10860000457C438141" + PK_MAP_IFD + "00", "7C438241" + PK_MAP_IC + "9000"),
    ("10860000457C438341" + PK_DH_IFD + "00", "7C438441" + PK_DH_IC + "9000"),
    ("008600000C7C0A8508C2B0BD78D94BA86600", "7C0A86083ABB9674BCE93C089000"),
    ("0CA4040C1D871101752F676B09FAC86A87D632749A49C7CC8E08C18BA1FCE707BD9F00",
     "990290008E08BEA7B381C494A0799000"),
]


def test_card_access_of_the_example() -> None:
    assert pace.parse_card_access(H("31143012060A04007F0007020204020202010202010D")) == [INFO]
    assert pace.build_card_access([INFO]) == H("31143012060A04007F0007020204020202010202010D")


def test_password_key() -> None:
    assert pace.password_key(KEYS, "aes") == H("89DED1B26624EC1E634C1989302849DD")


def test_terminal_side_reproduces_the_transcript_byte_for_byte() -> None:
    script = list(TRANSCRIPT)
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> tuple[bytes, int]:
        sent.append(apdu)
        want, answer = script.pop(0)
        assert apdu.hex().upper() == want
        return split_response(H(answer))

    keys = iter([0x7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99,
                 0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595])
    sm = pace.authenticate(transmit, KEYS, INFO, scalar=lambda curve: next(keys))
    assert sm.ks_enc == H("F5F0E35C0D7161EE6724EE513A0D9A7F")
    assert sm.ks_mac == H("FE251C7858B356B24514B3BD5F4297D1")
    # the first command under the new AES session keys: SELECT of the eMRTD application
    data, sw = transmit(sm.protect(Command(0x00, 0xA4, 0x04, 0x0C, H("A0000002471001"))))
    assert sm.unprotect(data, sw) == (b"", 0x9000)
    assert not script


def test_terminal_and_chip_agree_and_a_wrong_password_is_refused() -> None:
    for info in (INFO, pace.PaceInfo(pace.PACE_ECDH_GM_3DES, 2, 12)):
        chip = pace.PaceChip(KEYS, info)

        def transmit(apdu: bytes, chip: pace.PaceChip = chip) -> tuple[bytes, int]:
            cmd = Command.parse(apdu)
            if cmd.ins == 0x22:
                return b"", chip.set_at(cmd)
            data, sw, _ = chip.general_authenticate(cmd)
            return data, sw

        sm = pace.authenticate(transmit, KEYS, info)
        assert sm.cipher == info.cipher
        with pytest.raises(pace.AccessDenied):
            pace.authenticate(transmit, MrzKeys("T22000128", "640812", "101031"), info)


@pytest.mark.parametrize(("pid", "curve"), [(12, ec.SECP256R1()), (13, ec.BrainpoolP256R1())])
def test_point_arithmetic_matches_cryptography(pid: int, curve: ec.EllipticCurve) -> None:
    c = CURVES[pid]
    k = secrets.randbelow(c.n - 1) + 1
    pub = ec.derive_private_key(k, curve).public_key().public_numbers()
    assert c.mul(k, c.g) == (pub.x, pub.y)  # through cryptography
    two_g = c.add(c.g, c.g)  # not the generator: the hand-written ladder
    assert c.mul(k, two_g) == c.mul(2 * k, c.g)
    a, b = secrets.randbelow(c.n), secrets.randbelow(c.n)
    assert c.add(c.mul(a, c.g), c.mul(b, c.g)) == c.mul(a + b, c.g)
    assert c.decode(c.encode(c.g)) == c.g
    with pytest.raises(ValueError):
        c.decode(b"\x04" + bytes(2 * c.size))
