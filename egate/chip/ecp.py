"""Elliptic-curve point arithmetic over prime fields, for PACE Generic Mapping only.

PACE-GM computes ``G' = s*G + H`` and then an ECDH on that *new* generator; ``cryptography``
offers ECDH on the standard generator only and no point addition, so these few operations
are hand-written (Jacobian coordinates, Python integers); multiples of the standard generator
still go through ``cryptography``.  Not constant-time: acceptable for one-use ephemeral keys
of a PACE run, not for long-term keys.  Checked against
``cryptography`` and the Doc 9303 Appendix G.1 vector in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric import ec

Point = tuple[int, int] | None  # affine (x, y); None is the point at infinity


@dataclass(frozen=True)
class Curve:
    """y^2 = x^3 + a x + b over GF(p), generator (gx, gy) of prime order n."""

    name: str
    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int
    library_curve: ec.EllipticCurve | None = None  # the same curve in ``cryptography``

    @property
    def g(self) -> Point:
        """The standard generator."""
        return (self.gx, self.gy)

    @property
    def size(self) -> int:
        """Bytes of one coordinate."""
        return (self.p.bit_length() + 7) // 8

    def on_curve(self, pt: Point) -> bool:
        """True for the point at infinity or a point satisfying the curve equation."""
        if pt is None:
            return True
        x, y = pt
        return 0 <= x < self.p and 0 <= y < self.p and (y * y - x * x * x - self.a * x - self.b) % self.p == 0

    # -- Jacobian arithmetic -------------------------------------------------------------
    def _double(self, x: int, y: int, z: int) -> tuple[int, int, int]:
        p = self.p
        if y == 0 or z == 0:
            return (0, 1, 0)
        yy = y * y % p
        s = 4 * x * yy % p
        zz = z * z % p
        m = (3 * x * x + self.a * zz * zz) % p
        x3 = (m * m - 2 * s) % p
        return x3, (m * (s - x3) - 8 * yy * yy) % p, 2 * y * z % p

    def _add(self, p1: tuple[int, int, int], p2: tuple[int, int, int]) -> tuple[int, int, int]:
        p = self.p
        x1, y1, z1 = p1
        x2, y2, z2 = p2
        if z1 == 0:
            return p2
        if z2 == 0:
            return p1
        z1z1, z2z2 = z1 * z1 % p, z2 * z2 % p
        u1, u2 = x1 * z2z2 % p, x2 * z1z1 % p
        s1, s2 = y1 * z2 * z2z2 % p, y2 * z1 * z1z1 % p
        if u1 == u2:
            return self._double(x1, y1, z1) if s1 == s2 else (0, 1, 0)
        h, r = (u2 - u1) % p, (s2 - s1) % p
        hh = h * h % p
        hhh = h * hh % p
        v = u1 * hh % p
        x3 = (r * r - hhh - 2 * v) % p
        return x3, (r * (v - x3) - s1 * hhh) % p, z1 * z2 * h % p

    def _affine(self, pt: tuple[int, int, int]) -> Point:
        x, y, z = pt
        if z == 0:
            return None
        zi = pow(z, -1, self.p)
        zi2 = zi * zi % self.p
        return (x * zi2 % self.p, y * zi2 * zi % self.p)

    def add(self, a: Point, b: Point) -> Point:
        """a + b."""
        ja = (a[0], a[1], 1) if a else (0, 1, 0)
        jb = (b[0], b[1], 1) if b else (0, 1, 0)
        return self._affine(self._add(ja, jb))

    def mul(self, k: int, pt: Point) -> Point:
        """k * pt (fixed 4-bit window: 256 doublings and 64 additions for a 256-bit k)."""
        k %= self.n
        if pt is None or k == 0:
            return None
        if pt == self.g and self.library_curve is not None:
            return self._base_mul(k)
        table = [(0, 1, 0), (pt[0], pt[1], 1)]
        for _ in range(14):
            table.append(self._add(table[-1], table[1]))
        acc = (0, 1, 0)
        for shift in range(((k.bit_length() + 3) // 4 - 1) * 4, -1, -4):
            for _ in range(4):
                acc = self._double(*acc)
            digit = (k >> shift) & 0xF
            if digit:
                acc = self._add(acc, table[digit])
        return self._affine(acc)

    def _base_mul(self, k: int) -> Point:
        """k * G through ``cryptography`` (constant-time, fast) for its named curves."""
        numbers = ec.derive_private_key(k, self.library_curve).public_key().public_numbers()  # type: ignore[arg-type]
        return (numbers.x, numbers.y)

    # -- encoding ------------------------------------------------------------------------
    def encode(self, pt: Point) -> bytes:
        """Uncompressed SEC 1 encoding 04 || x || y."""
        if pt is None:
            raise ValueError("cannot encode the point at infinity")
        return b"\x04" + pt[0].to_bytes(self.size, "big") + pt[1].to_bytes(self.size, "big")

    def decode(self, raw: bytes) -> Point:
        """Parse an uncompressed point and check it is on the curve; raises ``ValueError``."""
        if len(raw) != 1 + 2 * self.size or raw[0] != 4:
            raise ValueError("not an uncompressed point of this curve")
        pt = (int.from_bytes(raw[1 : 1 + self.size], "big"), int.from_bytes(raw[1 + self.size :], "big"))
        if not self.on_curve(pt):
            raise ValueError("point is not on the curve")
        return pt


#: Standardized domain parameters of Doc 9303 Part 11 (Table 12) that we support, by id.
CURVES: dict[int, Curve] = {
    12: Curve("secp256r1",
              0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
              0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFC,
              0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
              0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296,
              0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5,
              0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551, ec.SECP256R1()),
    13: Curve("brainpoolP256r1",
              0xA9FB57DBA1EEA9BC3E660A909D838D726E3BF623D52620282013481D1F6E5377,
              0x7D5A0975FC2C3057EEF67530417AFFE7FB8055C126DC5C6CE94A4B44F330B5D9,
              0x26DC5C6CE94A4B44F330B5D9BBD77CBF958416295CF7E1CE6BCCDC18FF8C07B6,
              0x8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262,
              0x547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997,
              0xA9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7, ec.BrainpoolP256R1()),
}
