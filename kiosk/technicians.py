"""The site's technician register: who may log in to maintenance and reveal queue payloads.

A JSON file (``technicians.json`` in the kiosk's data_dir), mode 0600, rewritten atomically
(temp file, fsync, rename, fsync of the directory) under an flock on ``<file>.lock``, so the
kiosk and a technician's shell never lose each other's updates.  Each technician has an id, a
name, an optional card UID (for the card + PIN login of maintenance mode), a scrypt hash of a
6-12 digit PIN (salt and cost stored with it), the enrolment time, an active flag and the count
of consecutive wrong PINs: :data:`MAX_FAILURES` of them lock the account for
:data:`LOCKOUT_S`, persisted, so a restart does not lift the lock; a success resets the count.
Every enrolment, login attempt, lock and deactivation goes to the audit log
(:func:`kiosk.audit.append`), never the PIN or its hash.

The `bawaba technician add|list|deactivate` commands are in :mod:`kiosk.technicians_cli`
(docs/technicians.md).  Importing this module does no I/O and loads no crypto library.
"""

from __future__ import annotations

import fcntl
import hmac
import json
import math
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kiosk import audit
from kiosk.durable_files import write_whole
from kiosk.errors import BawabaError

#: scrypt cost of new PIN hashes (16 MiB, ~70 ms on the dev VM; well under a second on a
#: small kiosk CPU).  Each hash keeps its own n, r, p, so raising these later is safe.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
SALT_BYTES, HASH_BYTES = 16, 32
#: Consecutive wrong PINs that lock an account, and for how long (seconds).
MAX_FAILURES, LOCKOUT_S = 5, 15 * 60
#: Default file name of the register, in the kiosk's data_dir.
REGISTER_FILE = "technicians.json"

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_PIN = re.compile(r"[0-9]{6,12}")
_CARD = re.compile(r"(?:[0-9A-F]{2}){4,16}")
_LONG_DIGITS = re.compile(r"[0-9]{6}")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class TechnicianError(BawabaError):
    """The register refused a change or could not be read or written."""


class TechnicianAuthError(TechnicianError):
    """A login failed.  ``reason``: 'unknown', 'wrong_pin', 'locked', 'inactive' or 'no_pin'."""

    def __init__(self, reason: str, message: str, technician: str | None = None) -> None:
        self.reason, self.technician = reason, technician
        super().__init__(message)


@dataclass(frozen=True)
class Technician:
    """One enrolled technician as shown to callers (never the PIN hash)."""

    id: str
    name: str
    card_uid: str | None
    created_at: float
    active: bool = True
    failures: int = 0
    locked_until: float | None = None

    def locked(self, now: float) -> bool:
        """True while too many wrong PINs keep the account shut."""
        return self.locked_until is not None and now < self.locked_until

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON output, times as UTC ISO strings."""
        data = asdict(self)
        for key in ("created_at", "locked_until"):
            data[key] = iso_time(data[key]) if data[key] is not None else None
        return data


def shown_who(who: str) -> str:
    """How an unrecognised login name is recorded or shown: as typed, unless it holds six or
    more digits in a row (a PIN typed into the id field must not reach the audit log)."""
    return "(holds digits: not recorded)" if _LONG_DIGITS.search(who.translate(_DIGITS)) else who


def normalize_pin(pin: str) -> str:
    """The PIN in ASCII digits (Arabic-Indic digits accepted); 6 to 12 digits or an error."""
    pin = pin.translate(_DIGITS)
    if not _PIN.fullmatch(pin):
        raise TechnicianError("the PIN must be 6 to 12 digits")
    return pin


def normalize_card(uid: str) -> str:
    """A card UID as upper-case hex without separators ('04:a2:…' → '04A2…')."""
    text = re.sub(r"[\s:-]", "", uid).upper()
    if not _CARD.fullmatch(text):
        raise TechnicianError(f"card UID {uid!r} is not 4 to 16 bytes of hex (e.g. 04A2B3C4)")
    return text


class Register:
    """The technician register at ``path``; the audit log defaults to ``audit.log`` beside it.

    ``clock`` (Unix seconds) is injectable for tests.  Reading a missing register finds
    nobody; the file is created by the first :meth:`enrol`.
    """

    def __init__(
        self, path: str | Path, *, audit_log: str | Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.audit_log = Path(audit_log) if audit_log else self.path.with_name(audit.AUDIT_FILE)
        self._clock = clock

    @classmethod
    def from_config(cls, cfg: Any, **kwargs: Any) -> Register:
        """The register of a site :class:`~kiosk.config.Config` (in its data_dir)."""
        return cls(Path(cfg.kiosk.data_dir) / REGISTER_FILE, **kwargs)

    # -- reading -----------------------------------------------------------------------------
    def technicians(self) -> list[Technician]:
        """Everyone enrolled, active or not, in enrolment order."""
        return [_technician(e) for e in self._load()]

    def get(self, who: str) -> Technician | None:
        """The technician with id (any case) or card UID ``who``, or None."""
        entry = _find(self._load(), who)
        return _technician(entry) if entry is not None else None

    # -- changes -----------------------------------------------------------------------------
    def enrol(self, tech_id: str, name: str, pin: str, card_uid: str | None = None) -> Technician:
        """Add a technician.  Refuses a bad id or PIN, and an id or card already enrolled
        (ids are never reused, even after deactivation, so the audit trail stays clear)."""
        if not _ID.fullmatch(tech_id):
            raise TechnicianError(
                f"technician id {tech_id!r}: use 1 to 32 letters, digits, '.', '_' or '-' (e.g. T-0042)"
            )
        name = name.strip()
        if not name:
            raise TechnicianError("the technician's name is empty")
        pin = normalize_pin(pin)
        card = normalize_card(card_uid) if card_uid else None
        with self._exclusive(create=True):
            entries = self._load()
            for what, wanted in (("id", tech_id), ("card", card)):
                other = _find(entries, wanted) if wanted else None
                if other is not None:
                    raise TechnicianError(f"{what} {wanted} is already enrolled (technician {other['id']})")
            now = self._clock()
            entry = {
                "id": tech_id, "name": name, "card_uid": card, "created_at": now, "active": True,
                "failures": 0, "locked_until": None, "pin": _new_hash(pin),
            }
            entries.append(entry)
            self._save(entries)
            self._audit("technician.enrol", {"technician": tech_id, "name": name, "card_uid": card}, now)
        return _technician(entry)

    def verify(self, who: str, pin: str) -> Technician:
        """Log in by id or card UID and PIN; the technician, or :class:`TechnicianAuthError`.

        Every attempt is audited.  The PIN is compared in constant time, and an unknown
        ``who`` costs the same scrypt work as a known one.
        """
        pin, now = pin.translate(_DIGITS), self._clock()
        with self._exclusive(create=False):
            entries = self._load()
            entry = _find(entries, who)
            if entry is None:
                _derive(pin, bytes(SALT_BYTES), SCRYPT_N, SCRYPT_R, SCRYPT_P)
                shown = shown_who(who)
                raise self._refused(now, {"who": shown}, "unknown",
                                    f"no technician {shown!r} in the register {self.path}")
            tid = entry["id"]
            seen = {"technician": tid, "via": "id" if tid.casefold() == who.casefold() else "card"}
            if entry["locked_until"] is not None and now >= entry["locked_until"]:
                entry["failures"], entry["locked_until"] = 0, None  # the lock has run out
            if entry["locked_until"] is not None:
                until = float(entry["locked_until"])
                raise self._refused(now, seen, "locked", f"technician {tid} is locked after "
                                    f"{MAX_FAILURES} wrong PINs until {iso_time(until)} "
                                    f"(in {(until - now) / 60:.0f} min)")
            # The attempt is counted, on disk, before the PIN is checked: a register that
            # cannot be written refuses every login (no unlimited guessing on a full or
            # read-only disk), and a process killed mid-check has still used up a try.
            if not entry["active"]:
                _check(entry["pin"], pin)  # the same work as for a live account
                raise self._refused(now, seen, "inactive", f"technician {tid} is deactivated")
            failures = entry["failures"] = entry["failures"] + 1
            self._save(entries)
            if _check(entry["pin"], pin):
                entry["failures"] = 0
                self._save(entries)
                self._audit("technician.verify", {**seen, "outcome": "ok"}, now)
                return _technician(entry)
            if failures < MAX_FAILURES:
                raise self._refused(now, {**seen, "failures": failures}, "wrong_pin", f"wrong PIN for "
                                    f"{tid} ({MAX_FAILURES - failures} more before a "
                                    f"{LOCKOUT_S // 60}-minute lock)")
            entry["locked_until"] = now + LOCKOUT_S
            self._save(entries)
            exc = self._refused(now, {**seen, "failures": failures}, "wrong_pin", f"wrong PIN for "
                                f"{tid}; the account is now locked for {LOCKOUT_S // 60} minutes")
            self._audit("technician.lock", {
                "technician": tid, "until": iso_time(now + LOCKOUT_S), "failures": failures}, now)
            raise exc

    def _refused(self, now: float, fields: dict[str, Any], reason: str, message: str) -> TechnicianAuthError:
        """Audit a failed login; the error to raise."""
        self._audit("technician.verify", {**fields, "outcome": reason}, now)
        return TechnicianAuthError(reason, message, fields.get("technician"))

    def deactivate(self, tech_id: str) -> Technician:
        """Stop a technician logging in (kept in the register; the id is never reused)."""
        with self._exclusive(create=False):
            entries = self._load()
            entry = next((e for e in entries if e["id"].casefold() == tech_id.casefold()), None)
            if entry is None:
                raise TechnicianError(f"no technician {tech_id!r} in the register {self.path}")
            if entry["active"]:
                entry["active"] = False
                self._save(entries)
                self._audit("technician.deactivate", {"technician": entry["id"]}, self._clock())
        return _technician(entry)

    # -- the file ----------------------------------------------------------------------------
    @contextmanager
    def _exclusive(self, create: bool) -> Iterator[None]:
        """Hold the register's flock (other processes wait) for one read-modify-write."""
        if not create and not self.path.parent.is_dir():
            yield  # nothing there to change
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise TechnicianError(f"cannot open the technician register {self.path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _load(self) -> list[dict[str, Any]]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise TechnicianError(f"cannot read the technician register {self.path}: {exc.strerror}") from None
        try:
            entries = json.loads(text)["technicians"]
            for e in entries:
                _check_entry(e)
                _params(e["pin"])
        except (ValueError, KeyError, TypeError) as exc:
            raise TechnicianError(
                f"the technician register {self.path} is damaged ({type(exc).__name__}: {exc}); "
                "restore it from a backup"
            ) from None
        return list(entries)

    def _save(self, entries: list[dict[str, Any]]) -> None:
        """Write the whole register atomically (0600; see :func:`kiosk.durable_files.write_whole`)."""
        data = json.dumps({"version": 1, "technicians": entries}, ensure_ascii=False, indent=1)
        try:
            write_whole(self.path, (data + "\n").encode(), replace=True)
        except OSError as exc:
            raise TechnicianError(f"cannot write the technician register {self.path}: {exc.strerror}") from None

    def _audit(self, event: str, fields: dict[str, Any], now: float) -> None:
        try:
            audit.append(self.audit_log, event, fields, now)
        except OSError as exc:
            raise TechnicianError(f"cannot write the audit log {self.audit_log}: {exc.strerror}") from None


def _find(entries: list[dict[str, Any]], who: str) -> dict[str, Any] | None:
    """The entry whose id (any case) or card UID is ``who``."""
    for e in entries:
        if e["id"].casefold() == who.casefold():
            return e
    try:
        card = normalize_card(who)
    except TechnicianError:
        return None
    return next((e for e in entries if e.get("card_uid") == card), None)


def _check_entry(e: dict[str, Any]) -> None:
    """Refuse (TypeError/ValueError) an entry whose fields have the wrong type or range: a
    hand-edited "active": "false" must not read as active, nor "failures": -100 as credit."""
    locked = e["locked_until"]
    if not (
        isinstance(e["id"], str) and _ID.fullmatch(e["id"])
        and isinstance(e["name"], str)
        and (e["card_uid"] is None or isinstance(e["card_uid"], str) and _CARD.fullmatch(e["card_uid"]))
        and type(e["active"]) is bool
        and type(e["failures"]) is int and e["failures"] >= 0
        and type(e["created_at"]) in (int, float) and math.isfinite(e["created_at"])
        and (locked is None or type(locked) in (int, float) and math.isfinite(locked))
    ):
        raise ValueError(f"entry {e.get('id')!r} has a field of the wrong type or range")


def _technician(e: dict[str, Any]) -> Technician:
    locked = e.get("locked_until")
    return Technician(
        id=str(e["id"]), name=str(e["name"]), card_uid=e.get("card_uid"),
        created_at=float(e["created_at"]), active=bool(e["active"]), failures=int(e["failures"]),
        locked_until=float(locked) if locked is not None else None,
    )


def _derive(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=HASH_BYTES, n=n, r=r, p=p).derive(pin.encode())


def _new_hash(pin: str) -> dict[str, Any]:
    salt = os.urandom(SALT_BYTES)
    return {
        "alg": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
        "salt": salt.hex(), "hash": _derive(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P).hex(),
    }


def _params(stored: dict[str, Any]) -> tuple[bytes, bytes, int, int, int]:
    """A stored hash's parts, checked (a tampered cost must not stall the kiosk)."""
    n, r, p = int(stored["n"]), int(stored["r"]), int(stored["p"])
    # 128·n·r bytes of memory per derivation: capped at 64 MiB, and p at 4 (a hand-edited
    # n=2**20, r=32, p=16 would take 4 GiB and minutes per login).
    if stored["alg"] != "scrypt" or not (
        2 <= n and n & (n - 1) == 0 and 1 <= r and 128 * n * r <= 64 * 2**20 and 1 <= p <= 4
    ):
        raise ValueError(f"unusable PIN hash parameters alg={stored['alg']} n={n} r={r} p={p}")
    return bytes.fromhex(stored["salt"]), bytes.fromhex(stored["hash"]), n, r, p


def _check(stored: dict[str, Any], pin: str) -> bool:
    salt, expected, n, r, p = _params(stored)
    return hmac.compare_digest(_derive(pin, salt, n, r, p), expected)


def iso_time(t: float) -> str:
    """A Unix time as UTC ISO 8601 text, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
