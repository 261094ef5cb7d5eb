"""`bawaba chip read` (a passport on a PC/SC reader) and `bawaba chip emulate` (the emulated
passport served to pcscd through vsmartcard-vpcd, for demos)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

SPECIMEN_MRZ = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
FAULTS = ("wrong-keys", "tampered-dg1", "unknown-csca", "expired-signer", "stop-answering", "cloned")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `chip read` and `chip emulate` to the `bawaba` parser."""
    chip = sub.add_parser("chip", help="e-passport chip: read with passive authentication, or emulate")
    csub = chip.add_subparsers(dest="chip_command", metavar="ACTION")
    csub.required = True

    read = csub.add_parser("read", help="read a passport chip on a PC/SC reader (BAC, DG1, DG2, SOD, PA)")
    read.add_argument("--reader", default=None, help="PC/SC reader name or unique part (default: config)")
    read.add_argument("--mrz", nargs="+", required=True, metavar="LINE", help="the printed MRZ, 2 or 3 lines")
    read.add_argument("--json", action="store_true", help="print one JSON object")
    read.add_argument("--master-list", default=None, help="folder of CSCA certificates and CRLs (default: config)")
    read.add_argument("--profile", default=None, help="site profile TOML")
    read.add_argument("--timeout", type=float, default=5.0,
                      help="per-APDU timeout and longest wait for a passport on the reader, seconds")
    read.add_argument("--no-face", action="store_true", help="skip DG2")
    read.add_argument("--no-pace", action="store_true", help="use BAC even when the chip offers PACE")
    read.set_defaults(func=_read)

    emu = csub.add_parser("emulate", help="serve an emulated e-passport to pcscd through vpcd")
    emu.add_argument("--vpcd-port", type=int, default=0x8C7B, help="vpcd reader port (default 35963)")
    emu.add_argument("--host", default="127.0.0.1", help="host of pcscd's vpcd reader")
    emu.add_argument("--mrz", nargs="+", default=SPECIMEN_MRZ, metavar="LINE", help="MRZ of the passport")
    emu.add_argument("--face", default=None, help="JPEG for DG2 (default: a generated placeholder)")
    emu.add_argument("--master-list-out", default=None, help="write the test CSCA (and CRL) here")
    emu.add_argument("--fault", choices=FAULTS, default=None, help="make the chip misbehave")
    emu.add_argument("--no-extended", action="store_true", help="announce no extended length")
    emu.add_argument("--aa", action="store_true", help="offer Active Authentication (DG15, ECDSA P-256)")
    emu.add_argument("--pace", action="store_true",
                     help="offer PACE (ECDH-GM, AES-128, brainpoolP256r1) besides BAC")
    emu.add_argument("--seconds", type=float, default=0.0, help="stop after this long (0 = until Ctrl-C)")
    emu.set_defaults(func=_emulate)


def _print(obj: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False))
        return
    for key, value in obj.items():
        if key == "passive_authentication" and isinstance(value, dict):
            print(f"passive authentication: {'PASSED' if value['passed'] else 'FAILED'}")
            for name, check in value["checks"].items():
                print(f"  {name:18} {check['status']:5} {check['reason']}")
        else:
            print(f"{key}: {value}")


def _read(args: argparse.Namespace) -> int:
    from egate.chip.mrzkeys import MrzKeys
    from egate.chip.pa import MasterList
    from egate.chip.reader import read_passport
    from egate.chip.transport import PcscTransport
    from kiosk.config import load_config
    from kiosk.errors import DeviceError

    if len(args.mrz) not in (2, 3):
        print("--mrz takes 2 or 3 lines", file=sys.stderr)
        return 2
    try:
        keys = MrzKeys.from_mrz(args.mrz)
    except ValueError as exc:
        print(f"bad MRZ: {exc}", file=sys.stderr)
        return 2
    cfg = load_config(args.profile)
    reader = args.reader if args.reader is not None else cfg.egate.chip_reader
    master = MasterList.load(args.master_list or cfg.egate.master_list_dir or None)
    start = time.perf_counter()
    transport = None
    try:
        transport = PcscTransport(reader, timeout_s=args.timeout, connect_timeout_s=max(3.0, args.timeout))
        result = read_passport(transport, keys, master, list(args.mrz), read_face=not args.no_face,
                               use_pace=not args.no_pace)
    except DeviceError as exc:
        _print({"reader": reader, "error": str(exc), "error_type": type(exc).__name__,
                "ms": round((time.perf_counter() - start) * 1000, 1)}, args.json)
        return 1
    finally:
        if transport is not None:
            transport.close()
    out = {"reader": reader, **result.as_dict()}
    result.wipe()
    _print(out, args.json)
    return 0 if result.pa.passed and result.active_auth.status != "fail" else 1


def _placeholder_face() -> tuple[bytes, tuple[int, int]]:
    import io

    from PIL import Image, ImageDraw

    img = Image.new("RGB", (240, 320), (200, 210, 225))
    ImageDraw.Draw(img).ellipse((60, 60, 180, 220), fill=(180, 140, 110))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return buf.getvalue(), img.size


def build_emulator(mrz: list[str], face: str | None, fault: str | None, extended: bool,
                   master_out: str | None, pace: bool = False, active_auth: bool = False) -> Any:
    """The emulated passport for ``emulate`` (and tests): PKI, faults, master list written."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from PIL import Image

    from egate.chip.emulator import ChipFaults, EmulatedPassport
    from egate.chip.pace import PACE_ECDH_GM_AES_128, PaceInfo
    from egate.chip.testpki import TestPki

    if face:
        with open(face, "rb") as fh:
            jpeg = fh.read()
        with Image.open(face) as img:
            size = img.size
    else:
        jpeg, size = _placeholder_face()
    pki = TestPki.generate(ds_expired=fault == "expired-signer")
    trusted = TestPki.generate() if fault == "unknown-csca" else pki
    if master_out:
        trusted.write_master_list(master_out, trusted.crl())
    faults = ChipFaults(wrong_keys=fault == "wrong-keys", tamper_dg1=fault == "tampered-dg1",
                        stop_after=4 if fault == "stop-answering" else None, clone=fault == "cloned")
    aa_key = ec.generate_private_key(ec.SECP256R1()) if active_auth or fault == "cloned" else None
    return EmulatedPassport(list(mrz), jpeg, size, pki, faults, extended_length=extended,
                            pace_info=PaceInfo(PACE_ECDH_GM_AES_128, 2, 13) if pace else None, aa_key=aa_key)


def _emulate(args: argparse.Namespace) -> int:
    import threading

    from kiosk.devices.smartcard.vpcd import VirtualCard

    chip = build_emulator(args.mrz, args.face, args.fault, not args.no_extended, args.master_list_out,
                          args.pace, args.aa)
    stop = threading.Event()
    with VirtualCard(chip, args.vpcd_port, args.host, atr=chip.atr, on_power=chip.on_power) as card:
        card.insert()
        print(f"emulated e-passport on vpcd {args.host}:{args.vpcd_port}"
              + (f"; CSCA in {args.master_list_out}" if args.master_list_out else ""), flush=True)
        try:
            stop.wait(args.seconds or None)
        except KeyboardInterrupt:
            pass
        finally:
            chip.release()
    return 0
