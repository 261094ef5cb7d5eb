"""Adapter ``zfm-serial``: ZhianTec ZFM / R30x / AS608 fingerprint modules over serial.

Framing is :mod:`kiosk.devices.fingerprint.protocol`; transport, resync and reconnect are
:class:`~kiosk.devices.serial_link.SerialDevice`.  Options (``[devices.fingerprint.options]``):
``baudrate`` (57600), ``address`` (0xFFFFFFFF), ``password`` (0), ``packet_size`` (128, as set
on the module), ``finger_wait_s`` (10: how long capture waits for a finger),
``poll_s`` (0.1: gap between GenImg polls while waiting).
"""

from __future__ import annotations

import struct
import threading
import time

from kiosk.config import DeviceConfig
from kiosk.devices.base import HealthState
from kiosk.devices.fingerprint import FingerNotRead, MatchResult
from kiosk.devices.fingerprint import protocol as p
from kiosk.devices.serial_link import SerialDevice
from kiosk.errors import DeviceError, DeviceProtocolError

#: Codes that mean "the person should try again", not "the device is broken".
FINGER_CODES = {p.Code.NO_FINGER, p.Code.IMAGE_FAIL, p.Code.IMAGE_MESSY, p.Code.FEW_FEATURES}


class SensorError(DeviceError):
    """The module answered with a confirmation code that means failure."""

    def __init__(self, cmd: int, code: int) -> None:
        self.cmd, self.code = cmd, code
        super().__init__(f"fingerprint command 0x{cmd:02x}: {p.message(code)} (0x{code:02x})")


class ZfmScanner(SerialDevice):
    """A ZFM/R30x module; implements :class:`~kiosk.devices.fingerprint.FingerprintScanner`."""

    kind = "fingerprint"
    default_baudrate = p.DEFAULT_BAUD

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg)
        opts = cfg.options
        self.address = int(opts.get("address", p.DEFAULT_ADDRESS))
        self.password = int(opts.get("password", 0))
        self.packet_size = int(opts.get("packet_size", 128))
        self.finger_wait_s = float(opts.get("finger_wait_s", 10.0))
        self.poll_s = float(opts.get("poll_s", 0.1))
        self._cancel = threading.Event()

    # -- framing --------------------------------------------------------------------------
    def read_frame(self) -> bytes:
        """One packet: 9-byte prefix, then the length it announces."""
        prefix = self.link.read_exact(p.PREFIX_LEN)
        length = p.body_length(prefix)
        return prefix + self.link.read_exact(length, started=True)

    def _packet(self) -> p.Packet:
        return p.decode(self.read_frame())

    def _command(self, cmd: int, params: bytes = b"", ok: tuple[int, ...] = (p.Code.OK,)) -> p.Packet:
        """Send a command and return its acknowledge; a code outside ``ok`` raises."""
        packet = p.decode(self.transact(p.command(cmd, params, self.address)))
        if packet.pid != p.Pid.ACK:
            raise DeviceProtocolError(f"expected an acknowledge packet, got PID 0x{packet.pid:02x}")
        if packet.code in FINGER_CODES and packet.code not in ok:
            raise FingerNotRead(packet.code)
        if packet.code not in ok:
            raise SensorError(cmd, packet.code)
        return packet

    # -- lifecycle ------------------------------------------------------------------------
    def _open(self) -> None:
        super()._open()
        self._handshake()

    def _handshake(self) -> None:
        self._command(p.Cmd.VFY_PWD, struct.pack(">I", self.password))

    def _probe(self) -> tuple[HealthState, str]:
        self._handshake()
        return HealthState.OK, ""

    # -- operations (each runs on the worker) ---------------------------------------------
    def _capture(self, buffer: int, wait_s: float) -> None:
        deadline = time.monotonic() + wait_s
        self._cancel.clear()
        while True:
            ack = self._command(p.Cmd.GEN_IMG, ok=(p.Code.OK, p.Code.NO_FINGER))
            if ack.code == p.Code.OK:
                break
            if time.monotonic() >= deadline or self._cancel.wait(self.poll_s):
                raise FingerNotRead(p.Code.NO_FINGER)
        self.emit("finger_placed")
        self._command(p.Cmd.IMG2TZ, bytes([buffer]))

    def _download(self, buffer: int, template: bytes) -> None:
        """DownChar: announce, then send the template as data packets (no answer to those)."""
        self._command(p.Cmd.DOWN_CHAR, bytes([buffer]))
        for frame in p.data_packets(template, self.packet_size, self.address):
            self.write_frame(frame)

    def _upload(self, buffer: int) -> bytes:
        """UpChar: acknowledge, then data packets until the end packet."""
        self._command(p.Cmd.UP_CHAR, bytes([buffer]))
        data = bytearray()
        while True:
            packet = self._packet()
            if packet.pid not in (p.Pid.DATA, p.Pid.END):
                raise DeviceProtocolError(f"expected a data packet, got PID 0x{packet.pid:02x}")
            data += packet.payload
            if packet.pid == p.Pid.END:
                return bytes(data)
            if len(data) > 4 * p.TEMPLATE_SIZE:
                raise DeviceProtocolError("template upload never ended")

    def _match(self) -> MatchResult:
        ack = self._command(p.Cmd.MATCH, ok=(p.Code.OK, p.Code.NO_MATCH))
        if ack.code == p.Code.NO_MATCH:
            return MatchResult(False, 0)
        (score,) = struct.unpack(">H", ack.payload[1:3])
        return MatchResult(True, score)

    def _verify(self, reference: bytes, wait_s: float) -> MatchResult:
        self._capture(1, wait_s)
        self._download(2, reference)
        return self._match()

    # -- the FingerprintScanner protocol --------------------------------------------------
    def _op_timeout(self, wait_s: float) -> float:
        return wait_s + self.timeout_s

    def capture(self, buffer: int = 1, wait_s: float | None = None) -> None:
        """Wait for a finger and extract its characteristics into ``buffer`` (1 or 2)."""
        wait = self.finger_wait_s if wait_s is None else wait_s
        self.run(lambda: self._capture(buffer, wait), self._op_timeout(wait))

    def cancel(self) -> None:
        """Stop waiting for a finger (the person walked away); capture raises FingerNotRead."""
        self._cancel.set()

    def stop(self) -> None:
        """End any wait for a finger, then close."""
        self.cancel()
        super().stop()

    def verify(self, reference: bytes, wait_s: float | None = None) -> MatchResult:
        """1:1: capture into buffer 1, download ``reference`` into buffer 2, Match on the sensor."""
        if not reference:
            raise ValueError("empty reference template")
        wait = self.finger_wait_s if wait_s is None else wait_s
        return self.run(lambda: self._verify(reference, wait), self._op_timeout(wait))

    def read_template(self, buffer: int = 1) -> bytes:
        """UpChar the characteristics in ``buffer``."""
        return self.run(lambda: self._upload(buffer))

    def search(self) -> tuple[int, int] | None:
        """Search buffer 1 in the whole library: ``(page, score)`` or None."""
        def go() -> tuple[int, int] | None:
            capacity = self._parameters()["capacity"]
            ack = self._command(
                p.Cmd.SEARCH, struct.pack(">BHH", 1, 0, capacity), ok=(p.Code.OK, p.Code.NOT_FOUND)
            )
            if ack.code == p.Code.NOT_FOUND:
                return None
            page, score = struct.unpack(">HH", ack.payload[1:5])
            return page, score

        return self.run(go)

    def template_count(self) -> int:
        """TempleteNum: templates stored on the module."""
        def go() -> int:
            (count,) = struct.unpack(">H", self._command(p.Cmd.TEMPLATE_NUM).payload[1:3])
            return int(count)

        return self.run(go)

    def _parameters(self) -> dict[str, int]:
        payload = self._command(p.Cmd.READ_SYS_PARA).payload[1:17]
        if len(payload) != 16:
            raise DeviceProtocolError(f"system parameters are {len(payload)} bytes, expected 16")
        status, system_id, capacity, level, address, size_code, baud_n = struct.unpack(">HHHHIHH", payload)
        return {
            "status": status, "system_id": system_id, "capacity": capacity, "security_level": level,
            "address": address, "packet_size": 32 << size_code, "baudrate": 9600 * baud_n,
        }

    def parameters(self) -> dict[str, int]:
        """ReadSysPara, decoded: capacity, security level, packet size, baud rate, ..."""
        return self.run(self._parameters)

    def self_test(self) -> str:
        """Handshake, parameters, and one capture with its template upload."""
        params = self.parameters()
        self.capture(1)
        template = self.read_template(1)
        return (
            f"capacity {params['capacity']}, packet {params['packet_size']} B, "
            f"{params['baudrate']} baud; captured a finger, template {len(template)} bytes"
        )
