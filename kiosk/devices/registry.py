"""Choosing device adapters by ``(kind, driver)`` from config, through one table.

Entries name their class as ``"module:Class"`` so that importing the registry never imports
an optional library (pyscard, cv2, escpos); each entry lists the libraries its driver needs,
checked when the driver is built, with an error that says what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from typing import Any

from kiosk.config import DeviceConfig
from kiosk.errors import ConfigError


@dataclass(frozen=True)
class DriverSpec:
    """How to build one driver of one kind."""

    target: str  # "package.module:ClassName"; the class takes (name, DeviceConfig)
    requires: tuple[str, ...] = ()  # importable module names the driver needs
    summary: str = ""


#: (kind, driver) -> spec.  Add one line per driver.
DRIVERS: dict[tuple[str, str], DriverSpec] = {}


def register(kind: str, driver: str, target: str, requires: tuple[str, ...] = (), summary: str = "") -> None:
    """Add a driver to the table (used by the table below and by tests)."""
    DRIVERS[(kind, driver)] = DriverSpec(target, requires, summary)


def drivers_for(kind: str) -> list[str]:
    """Names of the drivers available for ``kind``."""
    return sorted(d for (k, d) in DRIVERS if k == kind)


def kinds() -> list[str]:
    """Every device kind with at least one driver."""
    return sorted({k for (k, _) in DRIVERS})


def create(kind: str, cfg: DeviceConfig, source: str = "<config>") -> Any:
    """Build the adapter for ``kind`` as configured.  Does not open it.

    Raises :class:`ConfigError` for an unknown kind or driver (listing the available ones)
    and for a driver whose optional library is not installed.
    """
    if kind not in kinds():
        raise ConfigError(source, f"devices.{kind}", "one of " + ", ".join(kinds()), kind, "unknown device kind")
    spec = DRIVERS.get((kind, cfg.driver))
    if spec is None:
        raise ConfigError(
            source, f"devices.{kind}.driver", "one of " + ", ".join(drivers_for(kind)), cfg.driver,
            "unknown driver",
        )
    missing = [m for m in spec.requires if importlib.util.find_spec(m) is None]
    if missing:
        raise ConfigError(
            source, f"devices.{kind}.driver", f"installed libraries {', '.join(spec.requires)}",
            f"missing {', '.join(missing)}", "install the project with `make run` or pick another driver",
        )
    module_name, class_name = spec.target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(kind, cfg)


# ---- the driver table --------------------------------------------------------------------
# One line per driver; kinds: fingerprint, printer, smartcard, barcode, camera, payment.
register("fingerprint", "zfm-serial", "kiosk.devices.fingerprint.zfm:ZfmScanner", ("serial",), "ZhianTec ZFM/R30x over serial")
register("printer", "escpos-serial", "kiosk.devices.printer.escpos_serial:EscposSerialPrinter", ("serial", "escpos"), "ESC/POS receipt printer over serial (python-escpos)")
register("smartcard", "pcsc", "kiosk.devices.smartcard.pcsc:PcscReader", ("smartcard",), "PC/SC reader via pyscard/pcscd (national-ID card)")
register("barcode", "serial-scanner", "kiosk.devices.barcode.serial_scanner:SerialScanner", ("serial",), "serial 2D scanner: decoded text + configurable suffix")
register("barcode", "zxing-camera", "kiosk.devices.barcode.zxing_camera:ZxingCamera", ("zxingcpp", "cv2"), "decodes camera frames with zxing-cpp (or pyzbar)")
register("payment", "jsonl-tcp", "kiosk.devices.payment.tcp:JsonlTcpTerminal", ("serial",), "semi-integrated terminal, nexo-style JSON lines over TCP")
register("payment", "jsonl-serial", "kiosk.devices.payment.serial_port:JsonlSerialTerminal", ("serial",), "semi-integrated terminal, nexo-style JSON lines over serial")
register("camera", "opencv", "kiosk.devices.camera.opencv:OpenCvCamera", ("cv2",), "document camera via OpenCV VideoCapture (index or device path)")
register("camera", "folder", "kiosk.devices.camera.folder:FolderCamera", ("cv2",), "image folder or video file played as a camera (tests, demos)")
