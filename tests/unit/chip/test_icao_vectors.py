"""BAC and secure messaging against the worked example of ICAO Doc 9303 Part 11 (Appendix D)."""

from __future__ import annotations

from egate.chip import bac, crypto
from egate.chip.apdu import Command, split_response
from egate.chip.mrzkeys import MrzKeys
from tests.chipdata import DATA

H = bytes.fromhex


def _specimen_with_vector() -> tuple[list[str], dict[str, str]]:
    """The older TD3 specimen and its BAC vector, as written in mrz_specimens.txt."""
    text = (DATA / "mrz_specimens.txt").read_text()
    block = text.split("# TD3 passport (older specimen")[1].split("\n\n")[0]
    lines = [ln for ln in block.splitlines() if ln and not ln.startswith("#")][-2:]
    vec = {}
    for key in ("Kseed", "K_enc", "K_mac"):
        vec[key] = block.split(key + " ")[1].split()[0].rstrip(",)")
    return lines, vec


def test_bac_key_derivation_matches_the_specimen_vector() -> None:
    lines, vec = _specimen_with_vector()
    keys = MrzKeys.from_mrz(lines)
    assert keys.mrz_information == "L898902C<369080619406236"
    k_enc, k_mac = bac.bac_keys(keys)
    assert k_enc.hex().upper() == vec["K_enc"]
    assert k_mac.hex().upper() == vec["K_mac"]


class _Appendix:
    """The terminal side of the worked example, with the fixed random numbers it uses."""

    rnd_icc = H("4608F91988702212")
    rnd_ifd_kifd = H("781723860C06C226") + H("0B795240CB7049B01C19B33E32804F0B")
    answer = H(
        "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449"
    )

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self._rng = self.rnd_ifd_kifd

    def rng(self, n: int) -> bytes:
        out, self._rng = self._rng[:n], self._rng[n:]
        return out

    def transmit(self, apdu: bytes) -> tuple[bytes, int]:
        self.sent.append(apdu)
        if apdu[1] == 0x84:
            return self.rnd_icc, 0x9000
        return self.answer, 0x9000


def test_mutual_authentication_and_session_keys_match_appendix_d() -> None:
    lines, _ = _specimen_with_vector()
    ex = _Appendix()
    sm = bac.authenticate(ex.transmit, MrzKeys.from_mrz(lines), rng=ex.rng)
    assert ex.sent[0] == H("0084000008")
    assert ex.sent[1] == H(
        "008200002872C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2"
        "5F1448EEA8AD90A728"
    )
    assert sm.ks_enc == H("979EC13B1CBFE9DCD01AB0FED307EAE5")
    assert sm.ks_mac == H("F1CB1F1FB5ADF208806B89DC579DC1F8")
    assert sm.ssc == 0x887022120C06C226


def test_secure_messaging_matches_appendix_d() -> None:
    sm = bac.SecureMessaging(
        H("979EC13B1CBFE9DCD01AB0FED307EAE5"), H("F1CB1F1FB5ADF208806B89DC579DC1F8"), 0x887022120C06C226
    )
    assert sm.protect(Command(0x00, 0xA4, 0x02, 0x0C, H("011E"))) == H(
        "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800"
    )
    assert sm.unprotect(*split_response(H("990290008E08FA855A5D4C50A8ED9000"))) == (b"", 0x9000)
    assert sm.protect(Command(0x00, 0xB0, 0x00, 0x00, ne=4)) == H("0CB000000D9701048E08ED6705417E96BA5500")
    data, sw = sm.unprotect(*split_response(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000")))
    assert (data, sw) == (H("60145F01"), 0x9000)
    assert sm.protect(Command(0x00, 0xB0, 0x00, 0x04, ne=0x12)) == H("0CB000040D9701128E082EA28A70F3C7B53500")
    data, sw = sm.unprotect(*split_response(H(
        "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000"
    )))
    assert data == H("04303130365F36063034303030305C026175")


def test_retail_mac_of_one_block_is_plain_3des() -> None:
    key = H("7962D9ECE03D1ACD4C76089DCE131543")
    block = H("0011223344556677")
    assert crypto.retail_mac(key, block) == crypto.tdes_encrypt(key, block)
