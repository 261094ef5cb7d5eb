"""One strings catalogue, Arabic and English, for every string a person can see.

A catalogue (rather than Qt's tr() with .ts/.qm files) keeps the core free of Qt, needs no
build step at install, and is testable in plain Python: a unit test checks that every key has
both languages, the same placeholders in both, and no Latin word in the Arabic text.

Numbers shown in Arabic use Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩) through :func:`digits`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Language = Literal["ar", "en"]

#: Languages offered to the public, in the order shown on the language screen.
LANGUAGES: tuple[Language, ...] = ("ar", "en")

#: Each language's name in itself.  The language button shows the *other* language's endonym
#: (an English reader looks for "English" on an Arabic screen), so these two words are the only
#: text allowed in the "wrong" script on a screen; the UI test exempts exactly these.
ENDONYMS: Mapping[Language, str] = {"ar": "العربية", "en": "English"}

_AR_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")

#: key -> (Arabic, English).  Placeholders use str.format syntax.
STRINGS: Mapping[str, tuple[str, str]] = {
    # header and accessibility
    "app.brand": ("أبشر", "Absher"),
    "app.tagline": ("الخدمات الإلكترونية الذاتية", "Self-service e-government"),
    "a11y.large_text": ("تكبير الخط", "Large text"),
    "a11y.high_contrast": ("تباين عالٍ", "High contrast"),
    "a11y.language": ("اللغة", "Language"),
    "footer.kiosk": ("رقم الجهاز {kiosk_id}", "Kiosk {kiosk_id}"),
    "footer.help": ("للمساعدة يرجى مراجعة موظف الخدمة", "For help, please ask a service officer"),
    # attract
    "attract.title": ("مرحباً بك", "Welcome"),
    "attract.subtitle": (
        "أنجز خدماتك الحكومية بنفسك في دقائق",
        "Complete your government services yourself in minutes",
    ),
    "attract.start": ("المس للبدء", "Touch to start"),
    "attract.feature.id": ("الهوية الوطنية", "National ID"),
    "attract.feature.passport": ("الجوازات", "Passports"),
    "attract.feature.traffic": ("المرور", "Traffic"),
    "attract.feature.fees": ("سداد الرسوم", "Pay fees"),
    # language
    "language.title": ("اختر اللغة", "Choose your language"),
    "language.subtitle": (
        "يمكنك تغيير اللغة في أي وقت من أعلى الشاشة",
        "You can change the language at any time from the top of the screen",
    ),
    # identify
    "identify.title": ("التحقق من الهوية", "Identify yourself"),
    "identify.subtitle": (
        "أدخل بطاقة الهوية الوطنية أو ضع جواز السفر على القارئ",
        "Insert your national ID card or place your passport on the reader",
    ),
    "identify.card.title": ("بطاقة الهوية الوطنية", "National ID card"),
    "identify.card.text": (
        "أدخل البطاقة في الفتحة والشريحة للأعلى، ثم ضع إصبعك على قارئ البصمة",
        "Insert the card into the slot, chip facing up, then place your finger on the reader",
    ),
    "identify.passport.title": ("جواز السفر", "Passport"),
    "identify.passport.text": (
        "افتح الجواز على صفحة البيانات وضعه على القارئ ووجهه للأسفل",
        "Open the passport at the photo page and place it face down on the reader",
    ),
    "identify.or": ("أو", "or"),
    "identify.waiting": ("بانتظار البطاقة أو الجواز", "Waiting for your card or passport"),
    # menu
    "menu.title": ("اختر الخدمة", "Choose a service"),
    "menu.greeting": ("أهلاً {name}", "Hello {name}"),
    "menu.greeting_anon": ("أهلاً بك", "Hello"),
    "menu.offline": ("متاحة دون اتصال", "Available offline"),
    # service step
    "step.progress": ("الخطوة {current} من {total}", "Step {current} of {total}"),
    "step.next": ("التالي", "Next"),
    "step.back": ("السابق", "Back"),
    "step.finish": ("تأكيد وإرسال", "Confirm and submit"),
    "step.placeholder": ("اكتب هنا", "Type here"),
    # done
    "done.title": ("تمت العملية بنجاح", "Done"),
    "done.text": (
        "تم استلام طلبك. خذ الإيصال من الطابعة أسفل الشاشة",
        "Your request has been received. Take your receipt from the printer below the screen",
    ),
    "done.reference": ("رقم الطلب", "Reference number"),
    "done.finish": ("إنهاء", "Finish"),
    # idle warning
    "idle.title": ("هل ما زلت هنا؟", "Are you still there?"),
    "idle.text": (
        "ستنتهي الجلسة وتُمسح بياناتك خلال {seconds} ثانية",
        "Your session will end and your data will be erased in {seconds} seconds",
    ),
    "idle.more_time": ("مزيد من الوقت", "More time"),
    "idle.end": ("إنهاء الجلسة", "End session"),
    "idle.no_more": (
        "لا يمكن تمديد الوقت أكثر من ذلك",
        "The time cannot be extended any further",
    ),
    "idle.seconds_unit": ("ثانية", "seconds"),
    # out of service
    "oos.title": ("الجهاز خارج الخدمة مؤقتاً", "This kiosk is temporarily out of service"),
    "oos.text": (
        "نعتذر عن الإزعاج. يرجى استخدام جهاز آخر أو مراجعة موظف الخدمة",
        "We apologise for the inconvenience. Please use another kiosk or ask a service officer",
    ),
    "oos.code": ("رمز الحالة {code}", "Status code {code}"),
    # maintenance login (placeholder: the screen itself comes in its own issue)
    "maint.title": ("دخول الصيانة", "Maintenance login"),
    "maint.text": (
        "أدخل بطاقة الفني ثم الرمز السري",
        "Insert the technician card, then enter the PIN",
    ),
    "maint.back": ("رجوع", "Back"),
    # common
    "common.cancel": ("إلغاء", "Cancel"),
    # on-screen keyboard
    "kbd.space": ("مسافة", "Space"),
    "kbd.delete": ("حذف", "Delete"),
    "kbd.done": ("تم", "Done"),
    "kbd.digits": ("١٢٣", "123"),
    "kbd.letters_ar": ("أ ب ت", "أ ب ت"),
    "kbd.letters_en": ("ABC", "ABC"),
    "kbd.shift": ("⇧", "⇧"),
    # demo services shown when no catalogue is installed
    "svc.renew_id": ("تجديد الهوية الوطنية", "Renew national ID"),
    "svc.renew_passport": ("تجديد جواز السفر", "Renew passport"),
    "svc.traffic_fines": ("سداد المخالفات المرورية", "Pay traffic fines"),
    "svc.vehicle_reg": ("تجديد رخصة السير", "Renew vehicle registration"),
    "svc.field.mobile": ("رقم الجوال", "Mobile number"),
    "svc.field.city": ("المدينة", "City"),
}

#: Keys whose Arabic text is allowed to contain Latin letters (shown on purpose in both scripts).
LATIN_ALLOWED_IN_AR: frozenset[str] = frozenset({"kbd.letters_en"})


_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def latin_words(text: str) -> list[str]:
    """Latin words in ``text``, ignoring identifiers (tokens holding a digit, e.g. KSK-RUH-0001).

    Used by the tests that check Arabic screens carry no untranslated English.
    """
    found: list[str] = []
    for token in text.split():
        if any(ch.isdigit() for ch in token):
            continue
        found.extend(_LATIN_WORD.findall(token))
    return found


def digits(value: object, language: str) -> str:
    """``value`` as text, with Arabic-Indic digits when ``language`` is Arabic."""
    text = str(value)
    return text.translate(_AR_DIGITS) if language == "ar" else text


def t(key: str, language: str, **values: object) -> str:
    """The string ``key`` in ``language`` ('ar' or 'en'), formatted with ``values``.

    Numbers passed as values are written with the language's digits.  An unknown key raises
    KeyError (a test walks every screen, so a typo fails there rather than on a kiosk).
    """
    ar, en = STRINGS[key]
    text = ar if language == "ar" else en
    if values:
        text = text.format(**{k: digits(v, language) if isinstance(v, int) else v
                              for k, v in values.items()})
    return text


def other(language: str) -> Language:
    """The language the language button switches to."""
    return "en" if language == "ar" else "ar"


def direction(language: str) -> Literal["rtl", "ltr"]:
    """Writing direction of ``language``."""
    return "rtl" if language == "ar" else "ltr"
