"""`bawaba face match IMAGE_A IMAGE_B [--json]`: 1:1 comparison of two photos."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `face` to the `bawaba` parser."""
    face = sub.add_parser("face", help="face verification")
    fsub = face.add_subparsers(dest="face_command", metavar="ACTION")
    fsub.required = True
    match = fsub.add_parser("match", help="compare the faces in two images")
    match.add_argument("image_a")
    match.add_argument("image_b")
    match.add_argument("--json", action="store_true", help="one JSON object on stdout")
    match.add_argument("--profile", default=None, help="site profile for egate.face_threshold")
    match.add_argument("--threshold", type=float, default=None, help="override the distance threshold")
    match.set_defaults(func=_match)


def read_image(path: str):  # type: ignore[no-untyped-def]
    """A BGR image from a file (JPEG, PNG, JPEG 2000), or a clear error."""
    import cv2
    import numpy as np

    from kiosk.errors import BawabaError

    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise BawabaError(f"{path}: cannot read ({exc.strerror})") from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None:
        raise BawabaError(f"{path}: not an image OpenCV can decode")
    return image


def _match(args: argparse.Namespace) -> int:
    from egate.face.verify import FaceError, FaceVerifier
    from kiosk.config import load_config

    threshold = args.threshold if args.threshold is not None else load_config(args.profile).egate.face_threshold
    verifier = FaceVerifier(threshold)
    try:
        result = verifier.match_images(read_image(args.image_a), read_image(args.image_b))
        out = {"match": result.match, "score": round(result.score, 4), "ms": round(result.ms, 1),
               "distance": round(result.distance, 4), "threshold": threshold}
    except FaceError as exc:
        out = {"match": False, "score": None, "ms": None, "error": str(exc)}
    if args.json:
        print(json.dumps(out))
    else:
        verdict = "MATCH" if out["match"] else "NO MATCH"
        print(f"{verdict}  score={out['score']}  {out.get('error', '')}".rstrip(), file=sys.stdout)
    return 0 if out["match"] else 3
