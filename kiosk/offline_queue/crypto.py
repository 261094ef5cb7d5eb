"""Encryption at rest of queue payloads: AES-256-GCM with the record's id, kind and kiosk id
as associated data, so a ciphertext moved onto another row, or a row whose kind or kiosk id was
changed on disk, does not decrypt.  Records sealed before the kiosk id was bound (id and kind
only) still open, and stay bound as they were.

The key comes, in order, from the ``key=`` argument, the ``BAWABA_QUEUE_KEY`` environment
variable (64 hex digits or base64 of 32 bytes), or a key file readable by the service user
only (mode 0600, created at first start when the database is new).
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.durable_files import write_whole
from kiosk.errors import QueueKeyError

KEY_ENV = "BAWABA_QUEUE_KEY"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
#: Bytes a sealed blob adds to its plaintext (nonce + GCM tag).
OVERHEAD = NONCE_BYTES + TAG_BYTES
#: Associated data of a record: id, kind and kiosk id, NUL-separated, UTF-8.
_AAD = "%s\x00%s\x00%s"
_KEY_CHECK_PLAINTEXT = b"bawaba offline queue key check v1"


def parse_key(text: str | bytes) -> bytes:
    """Decode a key given as 32 raw bytes, 64 hex digits or base64; raise QueueKeyError."""
    if not isinstance(text, (str, bytes)):
        raise QueueKeyError(f"queue key must be bytes or text, not {type(text).__name__}")
    if isinstance(text, bytes) and len(text) == KEY_BYTES:
        return text
    s = text.decode("ascii", "replace") if isinstance(text, bytes) else text
    s = s.strip()
    try:
        raw = bytes.fromhex(s) if len(s) == 2 * KEY_BYTES else base64.b64decode(s, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != KEY_BYTES:
        raise QueueKeyError(
            f"queue key must be {KEY_BYTES} bytes (64 hex digits or base64); got something else"
        )
    return raw


def create_key_file(path: Path) -> bytes:
    """Write a new random key to ``path`` with mode 0600 (never overwrites); return it.

    Written to a temporary file first and linked into place once complete, so a failure
    (a full disk) never leaves an empty or partial key file that would block every later start.
    """
    key = AESGCM.generate_key(bit_length=256)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_whole(path, key.hex().encode("ascii") + b"\n", replace=False)
    except FileExistsError:
        raise QueueKeyError(f"key file {path} appeared while creating it; not overwritten") from None
    return key


def read_key_file(path: Path) -> bytes:
    """Read the key file; refuse one that group or others may read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise QueueKeyError(
            f"queue key file {path} is missing; the records in this queue cannot be read without "
            f"it (restore it, or set {KEY_ENV})"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise QueueKeyError(
            f"queue key file {path} is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"fix with: chmod 600 {path}"
        )
    try:
        return parse_key(path.read_bytes())
    except PermissionError:
        raise QueueKeyError(f"queue key file {path} is not readable by this user") from None


def resolve_key(key: bytes | str | None, key_file: Path, create: bool) -> bytes:
    """The key from the argument, the environment or the key file (created if ``create``)."""
    if key is not None:
        return parse_key(key)
    env = os.environ.get(KEY_ENV)
    if env:
        return parse_key(env)
    if create and not key_file.exists():
        return create_key_file(key_file)
    return read_key_file(key_file)


class Sealer:
    """Seals and opens payloads with one key; ``aad`` binds a blob to its record."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @staticmethod
    def aad(record_id: str, kind: str, kiosk_id: str | None = None) -> bytes:
        """Associated data of a record: its id, kind and kiosk id (``None``: the id-and-kind
        form of records sealed before the kiosk id was bound)."""
        if kiosk_id is None:
            return f"{record_id}\x00{kind}".encode()
        return (_AAD % (record_id, kind, kiosk_id)).encode()

    def seal(
        self, record_id: str, kind: str, plaintext: bytes, nonce: bytes | None = None,
        kiosk_id: str | None = None,
    ) -> bytearray:
        """nonce || ciphertext || tag.  ``nonce``: 12 fresh bytes from the OS CSPRNG, never
        used before with this key (read here when not given).

        A bytearray, not bytes: Python's sqlite3 binds a bytearray as a BLOB at once, while
        bytes first goes through its adapter lookup (two failed attribute lookups): ~0.7 us
        per INSERT warm, against ~0.16 for making the bytearray."""
        if nonce is None:
            nonce = os.urandom(NONCE_BYTES)
        # Every enqueue passes a kiosk id: that form is made here without a call to aad() (a
        # call costs a few microseconds right after an fsync, docs/queue.md).
        aad = (self.aad(record_id, kind) if kiosk_id is None
               else (_AAD % (record_id, kind, kiosk_id)).encode())
        blob = bytearray(nonce)
        blob += self._aead.encrypt(nonce, plaintext, aad)
        return blob

    def open(self, record_id: str, kind: str, blob: bytes, kiosk_id: str | None = None) -> bytes:
        """The plaintext; raises QueueKeyError if the key is wrong or the blob was altered.

        With ``kiosk_id``, a blob sealed in the id-and-kind form is accepted too: such a blob
        was made before the kiosk id was bound, and opening it so weakens nothing, since one
        sealed with the kiosk id never verifies in the shorter form."""
        nonce, sealed = blob[:NONCE_BYTES], blob[NONCE_BYTES:]
        try:
            return self._aead.decrypt(nonce, sealed, self.aad(record_id, kind, kiosk_id))
        except InvalidTag:
            if kiosk_id is not None:
                try:
                    return self._aead.decrypt(nonce, sealed, self.aad(record_id, kind))
                except InvalidTag:
                    pass
            raise QueueKeyError(f"record {record_id} does not decrypt with this key") from None

    def key_check(self) -> bytes:
        """A sealed constant stored in the database to recognise the right key at open."""
        return bytes(self.seal("key-check", "meta", _KEY_CHECK_PLAINTEXT))

    def verify(self, check: bytes) -> None:
        """Raise QueueKeyError unless ``check`` was made by :meth:`key_check` with this key."""
        try:
            ok = self.open("key-check", "meta", check) == _KEY_CHECK_PLAINTEXT
        except QueueKeyError:
            ok = False
        if not ok:
            raise QueueKeyError(
                "wrong queue key: it does not open this database (check BAWABA_QUEUE_KEY or the key file)"
            )
