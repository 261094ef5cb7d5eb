"""A private pcscd with its own vpcd reader, for tests and demos, beside any system pcscd.

pcscd refuses to start while another instance holds ``/run/pcscd``, and its socket path is
compiled in (the daemon ignores ``PCSCLITE_CSOCK_NAME``; only the client library honours it).
So we start pcscd with ``unshare --mount`` (plus ``--user --map-root-user`` when not root)
in a private mount namespace, bind-mount a fresh temp directory over ``/run/pcscd`` there (so
its socket lands in a directory the rest of the system can see), give it a private reader
config (``pcscd --config DIR``) with one vpcd reader on a free port, and point this
process's libpcsclite at the socket with ``PCSCLITE_CSOCK_NAME``.

libpcsclite reads ``PCSCLITE_CSOCK_NAME`` once per process, at its first call, and keeps it.
Hence one socket path per process (:func:`claim_socket_env`): call it (or enter
:func:`private_pcscd`) before anything in the process touches PC/SC.  A process that has
claimed the private socket cannot also talk to the system pcscd.

vpcd exposes two readers per config entry: slot 0 on ``vpcd_port`` and slot 1 on
``vpcd_port + 1`` (e.g. an ID card and a passport chip at once).  Note: vpcd listens on all
interfaces (INADDR_ANY); the ports are ephemeral and live only as long as the context.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.devices.smartcard.vpcd import ApduHandler, VirtualCard
from kiosk.errors import DeviceError, DeviceNotFound, DeviceTimeout

SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
FRIENDLY_NAME = "Bawaba Virtual PCD"
VPCD_DRIVER_CANDIDATES = (
    "/usr/lib/pcsc/drivers/serial/libifdvpcd.so",
    "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so",
)
_ACTIVE = threading.Lock()  # guards the one shared private pcscd of this process
_shared: PcscdEnv | None = None
_users = 0

# Run inside the new mount namespace.  /run/pcscd may not exist on the host; then a small
# tmpfs over /run (private to this namespace) provides the mount point.  The shell stays as
# pcscd's parent: SIGTERM to it stops pcscd, and if the Python process that started it dies
# (even by SIGKILL) pcscd is stopped within a second instead of lingering as an orphan.
_NS_SCRIPT = """
set -e
if [ ! -d /run/pcscd ]; then mount -t tmpfs -o mode=0755,size=64k bawaba-run /run; mkdir /run/pcscd; fi
mount --bind "$BAWABA_SOCKDIR" /run/pcscd
set +e
"$BAWABA_PCSCD" --foreground --config "$BAWABA_CONFDIR" $BAWABA_PCSCD_ARGS &
daemon=$!
trap 'kill -TERM $daemon 2>/dev/null; wait $daemon; exit 0' TERM INT
while kill -0 "$BAWABA_PARENT" 2>/dev/null && kill -0 $daemon 2>/dev/null; do sleep 1 & wait $!; done
kill -TERM $daemon 2>/dev/null
wait $daemon
if ! kill -0 "$BAWABA_PARENT" 2>/dev/null; then  # orphaned: tidy up what the parent would have
  umount /run/pcscd 2>/dev/null
  rm -rf "$BAWABA_SOCKDIR" "$BAWABA_WORKDIR"
fi
"""


class NamespaceForbidden(DeviceError):
    """This machine does not let us create a mount namespace (containers without CAP_SYS_ADMIN)."""


def process_socket_dir() -> Path:
    """The directory holding this process's private pcscd socket."""
    return Path(tempfile.gettempdir()) / f"bawaba-pcscd-{os.getpid()}"


def claim_socket_env() -> Path:
    """Point this process's libpcsclite at the private pcscd socket; returns the socket path.

    Call before the first PC/SC call of the process (e.g. at the top of a test conftest).
    """
    path = process_socket_dir() / "pcscd.comm"
    os.environ[SOCKET_ENV] = str(path)
    return path


def vpcd_driver() -> str:
    """Path of the vpcd reader driver, or raise :class:`DeviceNotFound` saying what to install."""
    for cand in VPCD_DRIVER_CANDIDATES:
        if os.path.exists(cand):
            return cand
    raise DeviceNotFound("vsmartcard-vpcd driver not installed (apt-get install vsmartcard-vpcd)")


def unshare_command() -> list[str]:
    """``unshare`` with a private mount namespace; unprivileged users also get a user namespace
    (mapped to root inside it), which lets them mount there without any real privilege."""
    unshare = shutil.which("unshare")
    if unshare is None:
        raise NamespaceForbidden("the unshare tool (util-linux) is not installed")
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    return [unshare, *user, "--mount", "--propagation", "private"]


def check_namespaces() -> None:
    """Raise :class:`NamespaceForbidden` (with the system's words) if the namespace is refused."""
    cmd = unshare_command()
    proc = subprocess.run([*cmd, "true"], capture_output=True, text=True, timeout=10, check=False)
    if proc.returncode != 0:
        raise NamespaceForbidden(f"{' '.join(cmd[1:])} refused: {proc.stderr.strip() or proc.returncode}")


def _free_port_pair() -> int:
    """A port p such that p and p + 1 are both free on every interface right now."""
    for _ in range(50):
        with socket.socket() as a:
            a.bind(("", 0))
            port = a.getsockname()[1]
            if port >= 65535:
                continue
            with socket.socket() as b:
                try:
                    b.bind(("", port + 1))
                except OSError:
                    continue
            return int(port)
    raise DeviceError("no free pair of TCP ports for vpcd")


@dataclass
class PcscdEnv:
    """A running private pcscd: where its socket is, which port its vpcd reader listens on."""

    socket_path: Path
    vpcd_port: int
    conf_dir: Path
    log_path: Path
    pcscd_args: tuple[str, ...] = ()
    readers: tuple[str, str] = (f"{FRIENDLY_NAME} 00 00", f"{FRIENDLY_NAME} 00 01")
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def reader_name(self) -> str:
        """PC/SC name of slot 0, the reader a card from :meth:`card` goes into by default."""
        return self.readers[0]

    def wait_card(self, present: bool = True, slot: int = 0, timeout_s: float = 5.0) -> bool:
        """Wait until PC/SC reports a card present (or absent) in the slot; False on timeout."""
        return wait_card_state(self.readers[slot], present, timeout_s)

    def card(self, handler: ApduHandler, slot: int = 0, **kwargs: Any) -> VirtualCard:
        """A :class:`VirtualCard` for reader slot 0 or 1 (not started: use ``with``)."""
        return VirtualCard(handler, self.vpcd_port + slot, **kwargs)

    # -- daemon control (the "reader removed / back" fault) -----------------------------------
    def start_daemon(self, timeout_s: float = 10.0) -> None:
        """Start pcscd in a fresh mount namespace and wait until it answers with our readers."""
        if self._proc is not None and self._proc.poll() is None:
            return
        for stale in self.socket_path.parent.iterdir():
            stale.unlink()
        env = dict(os.environ)
        env.update(
            BAWABA_SOCKDIR=str(self.socket_path.parent), BAWABA_CONFDIR=str(self.conf_dir),
            BAWABA_PCSCD=shutil.which("pcscd") or "/usr/sbin/pcscd",
            BAWABA_PCSCD_ARGS=" ".join(self.pcscd_args), BAWABA_PARENT=str(os.getpid()),
            BAWABA_WORKDIR=str(self.conf_dir.parent),
        )
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        try:
            self._proc = subprocess.Popen(
                [*unshare_command(), "--", "sh", "-c", _NS_SCRIPT],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        finally:
            log.close()
        self._wait_ready(timeout_s)

    def stop_daemon(self) -> None:
        """Stop pcscd: to every client, the readers vanish and the PC/SC service is gone."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def restart_daemon(self) -> None:
        """Stop and start pcscd (same socket, same vpcd port)."""
        self.stop_daemon()
        self.start_daemon()

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        last = "socket not created"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise DeviceError(f"private pcscd exited ({self._proc.returncode}): {self._log_tail()}")
            if self.socket_path.exists():
                found = list_readers()
                if self.reader_name in found:
                    return
                last = f"readers seen by this process: {found}"
            time.sleep(0.05)
        raise DeviceTimeout(
            f"private pcscd not ready within {timeout_s:.0f} s ({last}); if PC/SC was used in this "
            f"process before {SOCKET_ENV} was set, call claim_socket_env() earlier. {self._log_tail()}"
        )

    def _log_tail(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-600:]
        except OSError:
            return ""


def wait_card_state(reader: str, present: bool, timeout_s: float = 5.0) -> bool:
    """Block until PC/SC reports a card in (or out of) ``reader``; False on timeout.

    Uses SCardGetStatusChange, the PC/SC event call, so it returns as soon as pcscd knows.
    """
    from smartcard import scard  # optional library: imported only when used

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return False
    try:
        deadline = time.monotonic() + timeout_s
        state = scard.SCARD_STATE_UNAWARE
        while True:
            left_ms = int(max(0.0, deadline - time.monotonic()) * 1000)
            hresult, states = scard.SCardGetStatusChange(ctx, left_ms, [(reader, state)])
            if hresult != scard.SCARD_S_SUCCESS:
                return False
            state = states[0][1] & ~scard.SCARD_STATE_CHANGED
            if bool(state & scard.SCARD_STATE_PRESENT) == present and not state & scard.SCARD_STATE_MUTE:
                return True
            if left_ms == 0:
                return False
    finally:
        scard.SCardReleaseContext(ctx)


def list_readers() -> list[str]:
    """Reader names the PC/SC service of this process sees ([] when there is no service)."""
    from smartcard import scard  # optional library: imported only when used

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return []
    try:
        hresult, names = scard.SCardListReaders(ctx, [])
        return list(names) if hresult == scard.SCARD_S_SUCCESS else []
    finally:
        scard.SCardReleaseContext(ctx)


@contextlib.contextmanager
def private_pcscd(pcscd_args: tuple[str, ...] = (), timeout_s: float = 10.0) -> Iterator[PcscdEnv]:
    """Run a private pcscd with one vpcd reader (two slots) for the length of the block.

    ``with private_pcscd() as env:`` then ``with env.card(handler) as card: card.insert()``.
    Nested or concurrent uses in one process share the same daemon (libpcsclite allows one
    socket per process); it stops when the last user leaves.  ``pcscd_args`` count only for
    the first user.  Raises :class:`NamespaceForbidden` where mount namespaces are not allowed
    (tests skip on it), :class:`DeviceNotFound` when pcscd or vpcd is not installed.
    """
    global _shared, _users
    with _ACTIVE:
        if _shared is None:
            _shared = _start_private(pcscd_args, timeout_s)
        _users += 1
        env = _shared
    try:
        yield env
    finally:
        with _ACTIVE:
            _users -= 1
            if _users == 0:
                _stop_private(env)
                _shared = None


def _start_private(pcscd_args: tuple[str, ...], timeout_s: float) -> PcscdEnv:
    if shutil.which("pcscd") is None and not os.path.exists("/usr/sbin/pcscd"):
        raise DeviceNotFound("pcscd not installed (apt-get install pcscd)")
    driver = vpcd_driver()
    check_namespaces()
    sock_path = claim_socket_env()
    sock_path.parent.mkdir(mode=0o755, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bawaba-pcscd-conf-"))
    conf_dir = work / "reader.conf.d"
    conf_dir.mkdir()
    port = _free_port_pair()
    (conf_dir / "vpcd").write_text(
        f'FRIENDLYNAME "{FRIENDLY_NAME}"\nDEVICENAME /dev/null:{port}\n'
        f"LIBPATH {driver}\nCHANNELID {port}\n"
    )
    env = PcscdEnv(sock_path, port, conf_dir, work / "pcscd.log", pcscd_args)
    try:
        env.start_daemon(timeout_s)
    except BaseException:
        _stop_private(env)
        raise
    return env


def _stop_private(env: PcscdEnv) -> None:
    env.stop_daemon()
    shutil.rmtree(env.conf_dir.parent, ignore_errors=True)
    shutil.rmtree(env.socket_path.parent, ignore_errors=True)
