"""Whether a payload key names biometric data: "fingerprint", "face_image", "irisScan", also
joined with no separator ("faceimage", "passportphoto"), while ordinary words that hold such
a word ("surface", "interface", "facility", "irish") pass.  Used by the payload guard
(:mod:`kiosk.offline_queue.payload`); a heuristic for slips, not a wall against hiding data.

Written here because no library recognises biometric field names.
"""

from __future__ import annotations

import functools
import re

#: Words that mark a biometric field when they appear as a whole word of a key.
BIOMETRIC_WORDS = frozenset(
    {
        "biometric", "biometrics", "fingerprint", "fingerprints", "finger", "fingers",
        "minutiae", "wsq", "face", "faces", "facial", "portrait", "photo", "photos",
        "photograph", "photographs", "selfie", "iris", "irises", "retina", "palm", "palms",
        "palmprint", "vein", "veins", "dg2", "dg3", "dg4", "embedding", "embeddings",
        "liveness", "voiceprint", "signature_image",
    }
)
# Words no ordinary key holds: refused inside a word ("userfingerprint") and spelt across
# words from a word's start ("bio_metric", "thumb_print").
_DISTINCTIVE = re.compile(
    "biometric|fingerprint|thumbprint|palmprint|voiceprint|faceprint|minutiae|portrait"
    "|selfie|retina|liveness"
)
# Compounds with no separator.  A biometric word that ordinary keys also hold ("face" in
# "surface") is refused joined to a data word: right before one anywhere in a word
# ("faceimage", "userfacetemplate", "irisscan") unless it ends an ordinary word there
# ("surfacedata", "interfaceimage", "bldg2data"); or in a word, or the whole key with its
# separators removed, that reads entirely as two or more of _COMPOUND_WORDS ("passportphoto",
# "palmvein", "rawface").  Entirely: "surface", "facility", "irish" and "palmer" do not read
# so ("sur", "ility", "h" and "er" are none of these words), so they pass.
_BIO_WORDS = [
    "face", "faces", "facial", "photo", "photos", "photograph", "iris", "irises", "palm",
    "palms", "finger", "fingers", "vein", "veins", "dg2", "dg3", "dg4", "wsq", "embedding",
    "embeddings",
]
_IMAGE_WORDS = ["image", "images", "img", "imgs", "picture", "pictures", "pic", "pics", "jpeg",
                "jpg", "png", "bmp", "jp2", "j2k", "scan"]
_DATA_WORDS = _IMAGE_WORDS + [
    "template", "templates", "data", "scans", "scanned", "capture", "captures", "captured",
    "crop", "crops", "cropped", "bytes", "byte", "b64", "base64", "wsq", "print", "prints",
    "embedding", "embeddings", "vector", "vectors", "feature", "features", "sample", "samples",
    "raw", "blob", "code", "codes", "hash", "record", "frame", "file", "match",
]
_QUALIFIER_WORDS = [
    "live", "user", "person", "holder", "subject", "applicant", "traveller", "traveler",
    "passenger", "customer", "citizen", "visitor", "chip", "doc", "document", "passport",
    "card", "probe", "ref", "reference", "enrol", "enroll", "enrolled", "left", "right",
    "index", "middle", "ring", "little", "front", "side", "profile", "full", "main", "primary",
    "best",
]
#: Each word a compound may be read as, and whether it is a biometric one.
_COMPOUND_WORDS = dict.fromkeys(_DATA_WORDS + _QUALIFIER_WORDS, False) | dict.fromkeys(
    _BIO_WORDS, True
)
# What an ordinary word puts before a biometric one ("sur|face", "tele|photo", "os|iris").
_ORDINARY_BEFORE = {
    "face": ("sur", "inter", "type", "pre", "de", "ef", "bold", "font", "back", "watch", "clock"),
    "facial": ("inter",), "photo": ("tele",), "iris": ("os",), "palm": ("na",),
    "dg2": ("bl",), "dg3": ("bl",), "dg4": ("bl",),
}
_BIO_THEN_DATA = re.compile(
    "(?:{})(?:{})".format(
        "|".join(
            "".join(f"(?<!{p})" for p in _ORDINARY_BEFORE.get(w, ())) + w for w in _BIO_WORDS
        ),
        "|".join(_DATA_WORDS),
    )
)
_BIO_HINT = re.compile("|".join(_BIO_WORDS))
# A signature is text; an image of one is not ("signatureimage", "customer_signature_png").
_SIGNATURE_IMAGE = re.compile("signatures?(?:{})".format("|".join(_IMAGE_WORDS)))
# A key holds one of these, separators removed, if any rule above can refuse it.
_ANY_HINT = re.compile(f"{_DISTINCTIVE.pattern}|{_BIO_HINT.pattern}|signature")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _is_compound(text: str) -> bool:
    """Whether ``text`` reads entirely as two or more of _COMPOUND_WORDS, a biometric one
    among them (a word break: ``reach[i]`` holds, for each reading of ``text[:i]``, whether
    it has a biometric word and how many words, counted up to 2)."""
    reach: list[set[tuple[bool, int]]] = [set() for _ in range(len(text) + 1)]
    reach[0].add((False, 0))
    for i, states in enumerate(reach[:-1]):
        if states:
            for word, bio in _COMPOUND_WORDS.items():
                if text.startswith(word, i):
                    reach[i + len(word)].update((seen or bio, min(n + 1, 2)) for seen, n in states)
    return (True, 2) in reach[-1]


@functools.lru_cache(maxsize=4096)
def biometric_match(key: str) -> str:
    """What makes a key look biometric, or "" (cached: payloads repeat the same keys)."""
    text = _CAMEL.sub("_", key).lower()
    words = [w for w in _WORD_SPLIT.split(text) if w]
    found = BIOMETRIC_WORDS.intersection(words)
    if found or text.replace("-", "_") in BIOMETRIC_WORDS:
        return min(found) if found else text
    joined = "".join(words)
    if not _ANY_HINT.search(joined):
        return ""
    start = 0
    for word in words:
        hit = _DISTINCTIVE.search(word) or _DISTINCTIVE.match(joined, start)
        if hit:
            return hit.group()
        start += len(word)
    for hit in (_SIGNATURE_IMAGE.search(joined), *map(_BIO_THEN_DATA.search, words)):
        if hit:
            return hit.group()
    for word in [*words, joined] if len(words) > 1 else words:
        if _BIO_HINT.search(word) and _is_compound(word):
            return word
    return ""
