"""Deterministic demo data for the reference central platform.

People are citizens (national ID ``1xxxxxxxxx``) and residents (iqama ``2xxxxxxxxx``); the
last digit is a Luhn check digit, as on the real cards.  Names are in Arabic and English.
Each person gets documents with expiry dates (some expired, some expiring), most get a
vehicle, some get traffic violations.  A few passports are on a small watch-list.
Everything is fictitious and generated from a fixed seed, so the demo and the tests see the
same records every time.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sync.central.store import Store

FIRST = [("محمد", "Mohammed"), ("عبدالله", "Abdullah"), ("فهد", "Fahd"), ("سارة", "Sarah"),
         ("نورة", "Noura"), ("خالد", "Khalid"), ("ريم", "Reem"), ("سلطان", "Sultan"),
         ("هيا", "Haya"), ("تركي", "Turki"), ("لمى", "Lama"), ("فيصل", "Faisal")]
FAMILY = [("العتيبي", "Al-Otaibi"), ("القحطاني", "Al-Qahtani"), ("الشهري", "Al-Shehri"),
          ("الدوسري", "Al-Dosari"), ("الغامدي", "Al-Ghamdi"), ("الحربي", "Al-Harbi"),
          ("الزهراني", "Al-Zahrani"), ("المطيري", "Al-Mutairi")]
RESIDENTS = [("أحمد حسن", "Ahmed Hassan", "EGY"), ("راجيش كومار", "Rajesh Kumar", "IND"),
             ("ماريا سانتوس", "Maria Santos", "PHL"), ("عمران خان", "Imran Khan", "PAK"),
             ("يوسف عمر", "Yousef Omar", "JOR"), ("أنيتا ديفي", "Anita Devi", "NPL")]
CARS = [("Toyota", "Camry"), ("Hyundai", "Accent"), ("Nissan", "Patrol"), ("Ford", "Taurus"),
        ("Kia", "Sportage"), ("Chevrolet", "Tahoe"), ("Lexus", "ES")]
COLOURS = [("أبيض", "white"), ("أسود", "black"), ("فضي", "silver"), ("رمادي", "grey"), ("أحمر", "red")]
PLATE_LETTERS = [("أ", "A"), ("ب", "B"), ("ح", "J"), ("د", "D"), ("ر", "R"), ("س", "S"),
                 ("ص", "X"), ("ط", "T"), ("ع", "E"), ("ق", "G"), ("ك", "K"), ("ل", "L")]
VIOLATIONS = [("تجاوز السرعة المحددة", "Speeding", 300), ("قطع الإشارة", "Running a red light", 3000),
              ("الوقوف في مكان ممنوع", "No-parking zone", 150), ("عدم ربط حزام الأمان", "Seat belt", 150),
              ("استخدام الجوال أثناء القيادة", "Phone while driving", 500)]
WATCH_REASONS = ("interpol-sltd", "travel-ban", "court-order")
SEED = 20250101


def luhn_check_digit(body: str) -> int:
    """The Luhn check digit that completes ``body`` (digits only)."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these digits are doubled once the check digit is appended
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return (10 - total % 10) % 10


def is_valid_national_id(value: str) -> bool:
    """True for a 10-digit Saudi national ID (1...) or iqama (2...) with a valid check digit."""
    return (len(value) == 10 and value.isdigit() and value[0] in "12"
            and luhn_check_digit(value[:9]) == int(value[9]))


def make_national_id(rng: random.Random, category: str) -> str:
    """A random valid national ID (citizen) or iqama number (resident)."""
    body = ("1" if category == "citizen" else "2") + "".join(str(rng.randrange(10)) for _ in range(8))
    return body + str(luhn_check_digit(body))


def demo_records(today: dt.date, n_people: int = 40) -> dict[str, list[dict[str, Any]]]:
    """Every demo record, as plain dicts per table (no I/O)."""
    rng = random.Random(SEED)
    out: dict[str, list[dict[str, Any]]] = {"people": [], "vehicles": [], "violations": [],
                                             "documents": [], "watchlist": []}
    seen: set[str] = set()
    for i in range(n_people):
        category = "citizen" if i % 3 else "resident"
        nid = make_national_id(rng, category)
        while nid in seen:
            nid = make_national_id(rng, category)
        seen.add(nid)
        if category == "citizen":
            (fa, fe), (la, le) = rng.choice(FIRST), rng.choice(FAMILY)
            name_ar, name_en, nat = f"{fa} {la}", f"{fe} {le}", "SAU"
        else:
            name_ar, name_en, nat = rng.choice(RESIDENTS)
        birth = today - dt.timedelta(days=rng.randrange(20 * 365, 60 * 365))
        out["people"].append({"national_id": nid, "category": category, "name_ar": name_ar,
                              "name_en": name_en, "birth_date": birth.isoformat(), "nationality": nat})
        id_type = "national_id_card" if category == "citizen" else "iqama"
        for doc_type, number in ((id_type, nid), ("passport", f"{'AB'[i % 2]}{rng.randrange(10**7):07d}"),
                                 ("driving_licence", f"DL{nid[1:]}")):
            expiry = today + dt.timedelta(days=rng.randrange(-200, 5 * 365))
            if i % 7 == 0 and doc_type == id_type:
                expiry = today + dt.timedelta(days=20)  # expiring soon
            out["documents"].append({"number": number, "owner_id": nid, "doc_type": doc_type,
                                     "expiry": expiry.isoformat()})
        if i % 4 != 3:
            (la, le) = rng.choice(PLATE_LETTERS)
            digits = f"{rng.randrange(1, 10000):04d}"
            plate = f"{le}{le}{le} {digits}"
            make, model = rng.choice(CARS)
            ca, ce = rng.choice(COLOURS)
            out["vehicles"].append({
                "plate": plate, "owner_id": nid, "make": make, "model": model,
                "year": rng.randrange(2008, today.year + 1), "colour_ar": ca, "colour_en": ce,
                "registration_expiry": (today + dt.timedelta(days=rng.randrange(-90, 3 * 365))).isoformat(),
            })
            for _ in range(rng.randrange(0, 4)):
                ta, te, amount = rng.choice(VIOLATIONS)
                out["violations"].append({
                    "violation_id": f"V{rng.randrange(10**9):09d}", "owner_id": nid, "plate": plate,
                    "type_ar": ta, "type_en": te, "amount_sar": amount,
                    "issued_on": (today - dt.timedelta(days=rng.randrange(1, 700))).isoformat(),
                    "paid": int(rng.random() < 0.3),
                })
        if i % 13 == 5:
            passport = out["documents"][-2]["number"]
            out["watchlist"].append({"document_number": passport, "nationality": nat,
                                     "name_en": name_en, "name_ar": name_ar,
                                     "reason": WATCH_REASONS[i % len(WATCH_REASONS)]})
    return out


def seed(store: Store, today: dt.date, n_people: int = 40) -> dict[str, int]:
    """Write the demo records (idempotent); returns counts per table."""
    records = demo_records(today, n_people)
    with store.transaction() as db:
        for table in ("people", "vehicles", "violations", "documents"):
            rows = records[table]
            cols = list(rows[0])
            db.executemany(
                f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                [tuple(r[c] for c in cols) for r in rows],
            )
    if not store.watchlist_since(0)["added"]:
        store.watchlist_put(records["watchlist"])
    return {k: len(v) for k, v in records.items()}
