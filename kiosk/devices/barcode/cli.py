"""`bawaba barcode [--json] [--engine zxing|pyzbar] IMAGE...`: decode barcodes in image files.

One result per image: with ``--json`` one JSON object per line, exactly
``{"file", "symbology", "text", "bcbp", "ms"}`` (``bcbp`` is the parsed boarding pass or
null; ``ms`` the decoding time); without it, one readable line.  Exit status: 0 when every
image had a barcode, 3 when at least one had none, 4 when an image could not be read
(this wins over 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

EXIT_OK = 0
EXIT_NO_BARCODE = 3
EXIT_UNREADABLE = 4


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `barcode` to the `bawaba` parser."""
    p = sub.add_parser(
        "barcode", help="decode barcodes (and IATA boarding passes) in image files",
        description="Decode the barcode in each image; boarding passes (IATA BCBP) are parsed. "
        f"Exit {EXIT_OK}: all found, {EXIT_NO_BARCODE}: some image had no barcode, "
        f"{EXIT_UNREADABLE}: some image could not be read.",
    )
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, ...)")
    p.add_argument("--json", action="store_true", help="one JSON object per image")
    p.add_argument("--engine", choices=("zxing", "pyzbar"), default="zxing", help="decoding library")
    p.set_defaults(func=_barcode)


def decode_file(decoder: Any, path: str) -> dict[str, Any] | None:
    """The result object for one image file, or None if the file is not a readable image."""
    import cv2

    from kiosk.devices.barcode.bcbp import try_parse

    frame = cv2.imread(path, cv2.IMREAD_COLOR)
    if frame is None:
        return None
    started = time.perf_counter()
    found = decoder.decode(frame)
    ms = (time.perf_counter() - started) * 1000.0
    # Several symbols in one image: prefer the one that is a boarding pass.
    best = next((d for d in found if try_parse(d.text)), found[0] if found else None)
    parsed = try_parse(best.text) if best else None
    return {
        "file": path,
        "symbology": best.symbology if best else None,
        "text": best.text if best else None,
        "bcbp": parsed.as_dict() if parsed else None,
        "ms": round(ms, 1),
    }


def _barcode(args: argparse.Namespace) -> int:
    from kiosk.devices.barcode.decode import FrameDecoder

    decoder = FrameDecoder(args.engine)
    status = EXIT_OK
    for path in args.images:
        result = decode_file(decoder, path)
        if result is None:
            print(f"{path}: cannot read this file as an image", file=sys.stderr)
            status = EXIT_UNREADABLE
            if args.json:  # still one object per image, so consumers can zip inputs and outputs
                print(json.dumps({"file": path, "symbology": None, "text": None, "bcbp": None, "ms": None}))
            continue
        if result["text"] is None and status == EXIT_OK:
            status = EXIT_NO_BARCODE
        if args.json:
            print(json.dumps(result, ensure_ascii=False), flush=True)
        else:
            print(_human(result), flush=True)
    return status


def _human(result: dict[str, Any]) -> str:
    if result["text"] is None:
        return f"{result['file']}: no barcode ({result['ms']} ms)"
    line = f"{result['file']}: {result['symbology']} {result['text']!r} ({result['ms']} ms)"
    bcbp = result["bcbp"]
    if bcbp:
        legs = ", ".join(
            f"{leg['carrier']}{leg['flight_number']} {leg['from_airport']}-{leg['to_airport']} seat {leg['seat']}"
            for leg in bcbp["legs"]
        )
        line += f"\n  boarding pass: {bcbp['passenger_name']}; {legs}"
    return line
