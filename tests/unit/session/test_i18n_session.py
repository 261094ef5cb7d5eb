"""The strings catalogue and the Session object."""

from __future__ import annotations

import string

from kiosk import i18n
from kiosk.session import Identity, Session


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_string_has_both_languages_with_the_same_placeholders() -> None:
    for key, (ar, en) in i18n.STRINGS.items():
        assert ar.strip() and en.strip(), key
        assert _fields(ar) == _fields(en), key


def _literal(text: str) -> str:
    return "".join(lit for lit, _, _, _ in string.Formatter().parse(text))


def test_arabic_strings_carry_no_latin_words() -> None:
    bad = {k: i18n.latin_words(_literal(ar)) for k, (ar, _) in i18n.STRINGS.items()
           if k not in i18n.LATIN_ALLOWED_IN_AR and i18n.latin_words(_literal(ar))}
    assert bad == {}


def test_latin_word_detector() -> None:
    assert i18n.latin_words("مرحبا Welcome") == ["Welcome"]
    assert i18n.latin_words("رقم الجهاز KSK-RUH-0001") == []
    assert i18n.latin_words("ثانية ٢٩") == []


def test_numbers_use_the_language_digits() -> None:
    assert i18n.t("idle.text", "ar", seconds=25).count("٢٥") == 1
    assert "25" in i18n.t("idle.text", "en", seconds=25)
    assert i18n.t("step.progress", "ar", current=1, total=3) == "الخطوة ١ من ٣"


def test_other_language_and_direction() -> None:
    assert i18n.other("ar") == "en" and i18n.other("en") == "ar"
    assert i18n.direction("ar") == "rtl" and i18n.direction("en") == "ltr"


def test_session_wipe_resets_every_field() -> None:
    s = Session()
    s.load_identity(Identity("passport", document_number="L898902C3", name_en="ANNA ERIKSSON",
                             photo=b"jpeg", fingerprint_template=b"tmpl"))
    s.fields["mobile"] = "0500000000"
    s.reference = "ABC"
    assert not s.is_empty() and s.view().display_name("ar") == "ANNA ERIKSSON"
    s.wipe()
    assert s.is_empty()
    assert all(not v for v in s.personal_values().values())


def test_session_view_is_frozen_and_has_no_biometrics() -> None:
    s = Session()
    s.load_identity(Identity("national_id", national_id="1012345678", name_ar="محمد",
                             fingerprint_template=b"tmpl"))
    view = s.view()
    assert "1012345678" not in repr(view) and "tmpl" not in repr(view)
    try:
        view.display_name_ar = "x"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("SessionView must be frozen")
