"""Walk every screen of the shell: Arabic text only, touch targets, RTL mirroring, fitting."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication

from kiosk.flow import Event
from kiosk.i18n import ENDONYMS, latin_words
from kiosk.ui.screens import SCREENS
from kiosk.ui.theme import min_touch_px


def test_every_screen_in_arabic_shows_no_latin_word(shell) -> None:
    visited = []
    for name in shell.walk():
        visited.append(name)
        assert shell.window.snapshot.language == "ar"
        bad = [(w.objectName() or type(w).__name__, text) for w, text in shell.texts()
               if text != ENDONYMS["en"] and latin_words(text)]
        assert bad == [], f"Latin text on the Arabic {name} screen: {bad}"
    assert {"attract", "language", "identify", "idle_warning", "menu", "service_step", "done",
            "out_of_service", "maintenance_login"} <= set(visited)
    assert set(SCREENS) <= set(shell.window.router.screens)


def test_english_walk_shows_english(shell) -> None:
    shell.send(Event.SWITCH_LANGUAGE, language="en")
    for name in shell.walk():
        if shell.window.snapshot.language != "en":  # a wipe (fail, maintenance) resets to Arabic
            assert name in ("out_of_service", "maintenance_login")
            shell.send(Event.SWITCH_LANGUAGE, language="en")
        texts = [t for _, t in shell.texts() if t != ENDONYMS["ar"]]
        assert not any("\u0600" <= ch <= "\u06ff" for t in texts for ch in t), name


@pytest.mark.parametrize("language,large,size", [
    ("ar", False, (1920, 1080)), ("en", False, (1920, 1080)), ("ar", True, (1920, 1080)),
    ("ar", False, (1080, 1920)), ("en", True, (1080, 1920))])
def test_every_button_is_a_touch_target_and_every_screen_fits(shell, cfg, language, large,
                                                              size) -> None:
    px = min_touch_px(cfg.ui)
    assert px == 57  # 15 mm at 96 dpi
    shell.window.setFixedSize(*size)  # landscape and portrait kiosks
    shell.send(Event.SWITCH_LANGUAGE, language=language)
    if large:
        shell.send(Event.TOGGLE_LARGE_TEXT)
    for name in shell.walk():
        QApplication.processEvents()
        small = [(b.objectName() or b.text(), b.width(), b.height())
                 for b in shell.visible(QAbstractButton) if b.width() < px or b.height() < px]
        assert small == [], f"buttons under {px}px on {name}: {small}"
        router, win = shell.window.router, shell.window
        needed = router.current.minimumSizeHint()
        assert needed.height() <= router.height(), f"{name}: {needed} in {router.size()}"
        assert needed.width() <= router.width(), f"{name}: {needed} in {router.size()}"
        for part in (win.header, win.keyboard, win.overlay.panel):
            if part.isVisible():
                assert part.minimumSizeHint().width() <= win.width(), (name, part.objectName())


def test_arabic_is_mirrored_and_english_is_not(shell) -> None:
    win = shell.window
    assert QApplication.layoutDirection() == Qt.RightToLeft
    assert win.emblem.x() > win.lang_btn.x()  # brand on the right, toolbar on the left
    shell.send(Event.SWITCH_LANGUAGE, language="en")
    assert QApplication.layoutDirection() == Qt.LeftToRight
    assert win.emblem.x() < win.lang_btn.x()


def test_language_button_on_every_screen_switches_the_screen(shell, qtbot) -> None:
    for name in shell.walk():
        btn = shell.window.lang_btn
        assert btn.isVisibleTo(shell.window), name
        before = shell.window.snapshot.language
        qtbot.mouseClick(btn, Qt.LeftButton)
        qtbot.waitUntil(lambda before=before: shell.window.snapshot.language != before)
        assert btn.text() == ENDONYMS[before]
        qtbot.mouseClick(btn, Qt.LeftButton)
        qtbot.waitUntil(lambda before=before: shell.window.snapshot.language == before)


def test_high_contrast_and_large_text_toggles(shell, qtbot) -> None:
    win = shell.window
    title = win.router.current.title
    size = title.fontInfo().pixelSize()
    qtbot.mouseClick(win.large_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.large_text)
    qtbot.waitUntil(lambda: title.fontInfo().pixelSize() > size)
    bg = win.grab().toImage().pixelColor(960, 600)
    qtbot.mouseClick(win.contrast_btn, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.high_contrast)
    hc = win.grab().toImage().pixelColor(960, 600)
    assert hc.lightness() < 30 < bg.lightness()  # black background instead of the light one
    assert win.large_btn.isChecked() and win.contrast_btn.isChecked()


def test_font_is_requested_by_name_with_fallbacks(shell, cfg) -> None:
    from PySide6.QtGui import QFontDatabase, QFontInfo

    title = shell.window.router.current.title
    families = title.font().families()
    assert families[0] == cfg.ui.font_family == "Noto Sans Arabic UI"
    assert families[-1] == "DejaVu Sans"
    installed = set(QFontDatabase.families())
    expected = next(f for f in families if f in installed)  # first installed family wins
    assert QFontInfo(title.font()).family() == expected
