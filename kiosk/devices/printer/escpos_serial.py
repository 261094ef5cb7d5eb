"""Adapter ``escpos-serial``: an ESC/POS receipt printer over serial, through python-escpos.

python-escpos's :class:`escpos.printer.Serial` does all of ESC/POS on top of its ``_raw()``;
this adapter adds the kiosk's mechanics around it: the worker thread and timeouts, mapping
pyserial failures to the error tree, health from real-time status (``DLE EOT``), and the
receipt as one raster image (Arabic is rendered, never sent as text).

Options (``[devices.printer.options]``): ``baudrate`` (9600), ``profile`` (python-escpos
printer profile, default ``TM-T20II``: 576 dots), ``dsrdtr`` (false), ``confirm_job`` (true:
wait for the ``GS r 1`` answer that follows the job, so paper running out during a receipt is
known when ``print_receipt`` returns; set false for printers without ``GS r``).
"""

from __future__ import annotations

import termios
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import serial
from PIL import Image

from kiosk.config import DeviceConfig
from kiosk.devices.base import DeviceBase, HealthState
from kiosk.devices.printer import PaperOut, PrinterNotReady, Receipt, ReceiptLine
from kiosk.devices.printer import status as st
from kiosk.devices.printer.render import RenderOptions, render_receipt
from kiosk.devices.serial_link import short_reason
from kiosk.errors import DeviceError, DeviceNotFound, DeviceProtocolError, DeviceTimeout

if TYPE_CHECKING:  # importing escpos writes a capabilities cache file: only when printing
    from escpos.escpos import Escpos

R = TypeVar("R")
DEFAULT_PROFILE = "TM-T20II"
FRAGMENT_ROWS = 960  # rows per GS v 0 command


def print_job(printer: Escpos, image: Image.Image) -> None:
    """The ESC/POS of one receipt: initialise, the image as GS v 0 raster, feed and cut."""
    printer.hw("INIT")
    printer.image(image, impl="bitImageRaster", fragment_height=FRAGMENT_ROWS)
    printer.cut()


def _serial_factory(cfg: DeviceConfig) -> Escpos:
    from escpos.printer import Serial

    return Serial(
        devfile=cfg.port, baudrate=int(cfg.options.get("baudrate", 9600)),
        timeout=float(cfg.options.get("read_timeout_s", min(1.0, cfg.timeout_s))),
        dsrdtr=bool(cfg.options.get("dsrdtr", False)),
        profile=str(cfg.options.get("profile", DEFAULT_PROFILE)),
    )


class EscposSerialPrinter(DeviceBase):
    """An ESC/POS printer; implements :class:`~kiosk.devices.printer.ReceiptPrinter`."""

    kind = "printer"

    def __init__(self, name: str, cfg: DeviceConfig, factory: Callable[[DeviceConfig], Escpos] = _serial_factory) -> None:
        super().__init__(name, cfg.timeout_s)
        self.cfg = cfg
        self._factory = factory
        self._printer: Escpos | None = None
        width = self._profile_width(str(cfg.options.get("profile", DEFAULT_PROFILE)))
        self.render_options = RenderOptions(width=width)

    @staticmethod
    def _profile_width(profile: str) -> int:
        from escpos.capabilities import get_profile

        pixels = get_profile(profile).profile_data.get("media", {}).get("width", {}).get("pixels")
        return int(pixels) if str(pixels).isdigit() else 576

    # -- transport ------------------------------------------------------------------------
    def _open(self) -> None:
        from escpos.exceptions import DeviceNotFoundError

        self._close()
        printer = self._factory(self.cfg)
        try:
            printer.open()
        except (DeviceNotFoundError, serial.SerialException, OSError) as exc:
            raise DeviceNotFound(f"{self.cfg.port}: cannot open ({short_reason(exc.__context__ or exc)})") from None
        device: Any = getattr(printer, "device", None)
        if device is not None and hasattr(device, "write_timeout"):
            # escpos leaves it unset, so a stalled write would hang; one write is at most one
            # 960-row image fragment, which takes its time on the wire at low baud rates
            device.write_timeout = self._job_timeout(FRAGMENT_ROWS)
        self._printer = printer

    def _close(self) -> None:
        printer, self._printer = self._printer, None
        if printer is not None:
            try:
                printer.close()
            except (serial.SerialException, OSError, termios.error):
                # the cable is gone and escpos's close() failed flushing; mark it closed so its
                # __del__ does not try (and fail) again
                printer._device = False

    def _send(self, fn: Callable[[Escpos], None]) -> None:
        """Run escpos calls against the open printer, with pyserial errors mapped."""
        self.io.assert_on_worker()
        if self._printer is None:
            raise DeviceNotFound(f"{self.cfg.port}: not open")
        try:
            fn(self._printer)
        except serial.SerialTimeoutException:
            raise DeviceTimeout(f"{self.cfg.port}: write timed out") from None
        except (serial.SerialException, OSError, termios.error) as exc:
            self._close()
            raise DeviceNotFound(f"{self.cfg.port}: unplugged ({short_reason(exc)})") from None

    def _query(self, n: int) -> int:
        """One real-time status byte.

        Read here rather than with escpos's ``query_status``, whose ``_read`` waits for 16
        bytes (the full timeout) although the printer answers exactly one.
        """
        self._send(lambda p: p._raw(st.query(n)))
        return self._answer(st.check)

    def _answer(self, check: Callable[[int], R], timeout_s: float | None = None) -> R:
        """Read one status byte (within ``timeout_s``, default the read timeout) and check it."""
        device: Any = getattr(self._printer, "device", None)
        if device is None:
            raise DeviceNotFound(f"{self.cfg.port}: not open")
        try:
            saved = device.timeout
            if timeout_s is not None:
                device.timeout = timeout_s
            try:
                answer = device.read(1)
            finally:
                if timeout_s is not None:
                    device.timeout = saved
        except (serial.SerialException, OSError, termios.error) as exc:
            self._close()
            raise DeviceNotFound(f"{self.cfg.port}: unplugged ({short_reason(exc)})") from None
        if not answer:
            raise DeviceTimeout(f"{self.cfg.port}: no answer to status query")
        try:
            return check(answer[0])
        except DeviceProtocolError:
            device.reset_input_buffer()
            raise

    def _status(self) -> st.PrinterStatus:
        return st.parse(self._query(st.PRINTER), self._query(st.OFFLINE_CAUSE), self._query(st.PAPER))

    def _probe(self) -> tuple[HealthState, str]:
        status = self._status()
        problem = status.problem()
        if not status.ready:
            return HealthState.OFFLINE, problem
        return (HealthState.DEGRADED, problem) if problem else (HealthState.OK, "")

    def _report(self, status: st.PrinterStatus) -> None:
        state, reason = (HealthState.OFFLINE, status.problem()) if not status.ready else (
            (HealthState.DEGRADED, status.problem()) if status.problem() else (HealthState.OK, "")
        )
        self.set_condition(state, reason)

    def _print(self, image: Image.Image) -> None:
        before = self._status()
        self._report(before)
        if not before.ready:
            raise PaperOut() if before.paper == "out" else PrinterNotReady(before.problem())
        self._send(lambda p: print_job(p, image))
        if self.cfg.options.get("confirm_job", True):
            # GS r is answered in order: once the answer is here the receipt is printed
            self._send(lambda p: p._raw(st.GS_R_PAPER))
            if self._answer(st.parse_gs_r, self._job_timeout(image.height)) == "out":
                self._report(st.PrinterStatus(online=False, paper="out"))
                raise PaperOut("ran out during the receipt; it is incomplete")
        after = self._status()
        self._report(after)
        if after.paper == "out":
            raise PaperOut("ran out during the receipt; it is incomplete")
        if not after.ready:
            raise PrinterNotReady(after.problem(), "during the receipt; it may be incomplete")

    # -- the ReceiptPrinter protocol ------------------------------------------------------
    def print_receipt(self, receipt: Receipt) -> None:
        """Render ``receipt`` to a raster image and print it (status checked before and after)."""
        image = render_receipt(receipt, self.render_options)
        self.print_image(image)

    def print_image(self, image: Image.Image) -> None:
        """Print an already-rendered 1-bit image (at most the profile's width)."""
        self.run(lambda: self._print(image), self._job_timeout(image.height))

    def _job_timeout(self, rows: int) -> float:
        """The call timeout plus twice the time ``rows`` of raster take on the wire (8N1)."""
        baud = int(self.cfg.options.get("baudrate", 9600))
        return self.timeout_s + 2.0 * rows * (self.render_options.width // 8) * 10 / baud

    def status(self) -> st.PrinterStatus:
        """DLE EOT 1, 2 and 4, combined."""
        def go() -> st.PrinterStatus:
            s = self._status()
            self._report(s)
            return s

        return self.run(go)

    def self_test(self) -> str:
        """Print a short bilingual test receipt with a QR code."""
        now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        self.print_receipt(Receipt(
            (
                ReceiptLine("اختبار الطابعة", align="center", size="large", bold=True),
                ReceiptLine("Printer self-test", align="center", size="large", bold=True),
                ReceiptLine(rule=True),
                ReceiptLine(now, align="center"),
                ReceiptLine(f"Device: {self.name}", "الجهاز: الطابعة"),
            ),
            qr_data=f"SELFTEST-{now}", qr_caption="Bawaba",
        ))
        try:
            return f"test receipt printed; {self.status().problem() or 'paper ok'}"
        except DeviceError as exc:
            return f"test receipt printed; status unavailable ({exc})"
