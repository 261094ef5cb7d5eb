"""`bawaba mrz [--json] IMAGE...`: read the MRZ of camera images.

One result per image: ``{"file", "mrz": [lines] | null, "valid", "type", "fields", "ms"}``
(plus the checks by name, and which unchecked characters were doubtful).  The exit code is 0
when every image gave a valid MRZ, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `mrz` to the `bawaba` parser."""
    p = sub.add_parser("mrz", help="read and check the MRZ in camera images")
    p.add_argument("--json", action="store_true", help="one JSON object per image, per line")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (JPEG, PNG, ...)")
    p.set_defaults(func=_mrz)


def read_file(path: str) -> dict[str, Any]:
    """The CLI's result object for one image file."""
    import cv2

    from egate.mrz.reader import read_mrz

    frame = cv2.imread(path, cv2.IMREAD_COLOR) if os.path.isfile(path) else None
    if frame is None:
        return {"file": path, "mrz": None, "valid": False, "type": None, "fields": {},
                "ms": 0.0, "error": "cannot read image"}
    return {"file": path, **read_mrz(frame).to_dict()}


def _mrz(args: argparse.Namespace) -> int:
    from egate.mrz import ocr

    ocr.prepare()  # one-off set-up (OCR-B glyphs), not per image
    all_valid = True
    for path in args.images:
        out = read_file(path)
        all_valid &= bool(out["valid"])
        if args.json:
            print(json.dumps(out, ensure_ascii=False), flush=True)
            continue
        state = "valid" if out["valid"] else ("INVALID" if out["mrz"] else "no MRZ found")
        print(f"{path}: {state} {out['type'] or ''} ({out['ms']} ms)")
        for line in out["mrz"] or []:
            print(f"  {line}")
        failed = [name for name, ok in out.get("checks", {}).items() if not ok]
        if failed:
            print(f"  failed checks: {', '.join(failed)}")
        if out.get("error"):
            print(f"  {out['error']}")
    return 0 if all_valid else 1
