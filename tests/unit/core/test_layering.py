"""The core/UI split: nothing below kiosk/ui imports Qt, and importing does no I/O."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

# Imports every module of the non-UI packages in a fresh interpreter, with sockets and file
# creation booby-trapped, then reports what was loaded.
_PROBE = r"""
import builtins, importlib, json, os, pkgutil, socket, sys
opened = []
_real_open = builtins.open
def _guard_open(file, mode="r", *a, **k):
    if any(c in mode for c in "wax+"):
        opened.append(str(file))
    return _real_open(file, mode, *a, **k)
builtins.open = _guard_open
class _NoSocket(socket.socket):
    def connect(self, *a, **k):
        opened.append("socket.connect")
        raise OSError("no network at import")
    def bind(self, address, *a, **k):
        # urllib3 probes IPv6 support at import by binding ('::1', 0): a capability check of
        # the OS, not a listening socket; anything else is I/O at import.
        if not (isinstance(address, tuple) and address[1] == 0 and address[0] in ("::1", "127.0.0.1")):
            opened.append(f"socket.bind {address}")
        return super().bind(address, *a, **k)
socket.socket = _NoSocket
failed = {}
names = []
def walk(name):
    # pkgutil.walk_packages would import kiosk.ui to look inside it: recurse by hand instead
    if name.startswith("kiosk.ui") or name == "kiosk.app":
        return
    names.append(name)
    try:
        module = importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
        return
    for info in pkgutil.iter_modules(getattr(module, "__path__", []), name + "."):
        walk(info.name)
for top in ("kiosk", "egate", "sync"):
    walk(top)
print(json.dumps({"names": names, "failed": failed, "opened": opened,
                  "qt": sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken6")))}))
"""


def _probe(tmp_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_non_ui_packages_never_load_qt_and_do_no_io_at_import(tmp_path: Path) -> None:
    result = _probe(tmp_path)
    assert "kiosk.config" in result["names"] and "kiosk.devices.base" in result["names"]
    assert result["failed"] == {}, result["failed"]
    assert result["qt"] == [], f"Qt loaded below kiosk/ui: {result['qt']}"
    assert result["opened"] == [], f"I/O at import: {result['opened']}"
    assert list(tmp_path.iterdir()) == [], "importing created files in the working directory"
