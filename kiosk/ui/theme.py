"""Look of the kiosk: palettes (standard and high contrast), type scale, fonts, style sheet.

One frozen :class:`Theme` describes everything; :func:`make_theme` builds it from the site
config and the person's accessibility choices, and :meth:`Theme.qss` renders the Qt style sheet.
Painted widgets read their colours from the same theme, so high contrast reaches them too.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont

from kiosk.config import UiSection

#: Families tried in order: the configured one, then what Debian's fonts-noto-core and
#: fonts-dejavu-core install (Noto Sans Arabic has no Latin letters, so Noto Sans follows it).
FALLBACK_FAMILIES = ("Noto Sans Arabic", "Noto Sans", "DejaVu Sans")


@dataclass(frozen=True)
class Palette:
    """Named colours (hex strings)."""

    primary: str
    primary_dark: str
    primary_soft: str
    on_primary: str
    background: str
    surface: str
    text: str
    muted: str
    border: str
    accent: str
    warning: str
    danger: str
    scrim: str


STANDARD = Palette(
    primary="#00843D", primary_dark="#005F2C", primary_soft="#E3F2E9", on_primary="#FFFFFF",
    background="#F2F5F3", surface="#FFFFFF", text="#17251D", muted="#56665C",
    border="#D5DED8", accent="#B8953E", warning="#C77700", danger="#B3261E", scrim="#B3101A14",
)

HIGH_CONTRAST = Palette(
    primary="#FFE500", primary_dark="#FFE500", primary_soft="#000000", on_primary="#000000",
    background="#000000", surface="#000000", text="#FFFFFF", muted="#FFFFFF",
    border="#FFFFFF", accent="#FFE500", warning="#FFE500", danger="#FF6B6B", scrim="#E6000000",
)


def min_touch_px(ui: UiSection) -> int:
    """Smallest touch target edge in pixels: ``touch_target_mm`` at ``screen_dpi``, rounded up."""
    exact = ui.touch_target_mm / 25.4 * ui.screen_dpi
    return int(exact) + (0 if exact == int(exact) else 1)


@dataclass(frozen=True)
class Theme:
    """Everything the widgets need to draw themselves."""

    palette: Palette
    scale: float
    touch_px: int
    families: tuple[str, ...]
    high_contrast: bool = False

    def px(self, size: float) -> int:
        """A type size in pixels after the large-text scale."""
        return round(size * self.scale)

    def color(self, name: str) -> QColor:
        """A palette colour as a QColor."""
        return QColor(getattr(self.palette, name))

    def font(self, size: float, bold: bool = False) -> QFont:
        """The kiosk font at ``size`` (before scaling) pixels."""
        font = QFont()
        font.setFamilies(list(self.families))
        font.setPixelSize(self.px(size))
        font.setBold(bold)
        return font

    def qss(self) -> str:
        """The application style sheet."""
        p = self.palette
        fam = ", ".join(f'"{f}"' for f in self.families)
        border_w = 3 if self.high_contrast else 2
        return f"""
* {{ font-family: {fam}; color: {p.text}; }}
QWidget#root {{ background: {p.background}; }}
QWidget#header {{ background: {p.primary if not self.high_contrast else p.background};
    border-bottom: {border_w}px solid {p.primary_dark if not self.high_contrast else p.border}; }}
QWidget#header QLabel {{ color: {p.on_primary if not self.high_contrast else p.text}; }}
QLabel#brand {{ font-size: {self.px(34)}px; font-weight: 700; }}
QLabel#site {{ font-size: {self.px(20)}px; }}
QWidget#footer {{ background: {p.surface}; border-top: 1px solid {p.border}; }}
QWidget#footer QLabel {{ color: {p.muted}; font-size: {self.px(18)}px; }}
QLabel[role="title"] {{ font-size: {self.px(56)}px; font-weight: 700; color: {p.text}; }}
QLabel[role="subtitle"] {{ font-size: {self.px(28)}px; color: {p.muted}; }}
QLabel[role="heading"] {{ font-size: {self.px(32)}px; font-weight: 700; }}
QLabel[role="body"] {{ font-size: {self.px(24)}px; color: {p.muted}; }}
QLabel[role="status"] {{ font-size: {self.px(26)}px; color: {p.primary_dark if not self.high_contrast else p.primary}; font-weight: 700; }}
QLabel[role="error"] {{ font-size: {self.px(24)}px; color: {p.danger}; font-weight: 700; }}
QLabel[role="reference"] {{ font-size: {self.px(44)}px; font-weight: 700; color: {p.primary}; letter-spacing: 2px; }}
QFrame[role="card"] {{ background: {p.surface}; border: {border_w}px solid {p.border}; border-radius: 24px; }}
QFrame[role="card"] QLabel {{ background: transparent; border: none; }}
QFrame[role="panel"] {{ background: {p.surface}; border: {border_w}px solid {p.border}; border-radius: 32px; }}
QPushButton {{ border-radius: 16px; padding: 8px 28px;
    font-size: {self.px(28)}px; font-weight: 700; }}
QPushButton[role="primary"] {{ background: {p.primary}; color: {p.on_primary}; border: {border_w}px solid {p.primary}; }}
QPushButton[role="primary"]:pressed {{ background: {p.primary_dark}; }}
QPushButton[role="primary"]:disabled {{ background: {p.border}; border-color: {p.border}; color: {p.muted}; }}
QPushButton[role="secondary"] {{ background: {p.surface}; color: {p.primary if not self.high_contrast else p.text}; border: {border_w}px solid {p.primary if not self.high_contrast else p.border}; }}
QPushButton[role="secondary"]:pressed {{ background: {p.primary_soft}; }}
QPushButton[role="danger"] {{ background: {p.surface}; color: {p.danger}; border: {border_w}px solid {p.danger}; }}
QPushButton[role="toolbar"] {{ background: transparent; color: {p.on_primary if not self.high_contrast else p.text};
    border: 2px solid {"rgba(255,255,255,0.55)" if not self.high_contrast else p.border}; font-size: {self.px(22)}px; padding: 4px 20px; }}
QPushButton[role="toolbar"]:checked {{ background: {p.on_primary if not self.high_contrast else p.primary}; color: {p.primary if not self.high_contrast else p.on_primary}; }}
QPushButton[role="tile"] {{ background: {p.surface}; color: {p.text}; border: {border_w}px solid {p.border};
    border-radius: 24px; font-size: {self.px(30)}px; padding: 24px; text-align: center; }}
QPushButton[role="tile"][current="true"] {{ border: {border_w + 2}px solid {p.primary}; background: {p.primary_soft}; }}
QPushButton[role="tile"]:pressed {{ background: {p.primary_soft}; border-color: {p.primary}; }}
QPushButton[role="key"] {{ background: {p.surface}; color: {p.text}; border: {border_w}px solid {p.border};
    border-radius: 12px; font-size: {self.px(30)}px; padding: 0px; }}
QPushButton[role="key"]:pressed {{ background: {p.primary_soft}; }}
QPushButton[role="keyaction"] {{ background: {p.primary_soft}; color: {p.text}; border: {border_w}px solid {p.border};
    border-radius: 12px; font-size: {self.px(24)}px; padding: 0px 12px; }}
QWidget#keyboard {{ background: {p.background}; border-top: {border_w}px solid {p.border}; }}
QLineEdit {{ font-size: {self.px(32)}px; padding: 6px 20px; border-radius: 14px;
    border: {border_w + 1}px solid {p.border}; background: {p.surface}; color: {p.text};
    selection-background-color: {p.primary}; }}
QLineEdit:focus {{ border-color: {p.primary}; }}
"""


def make_theme(ui: UiSection, large_text: bool, high_contrast: bool) -> Theme:
    """The theme for the site's UI config and the person's accessibility choices."""
    return Theme(
        palette=HIGH_CONTRAST if high_contrast else STANDARD,
        scale=1.3 if large_text else 1.0,
        touch_px=min_touch_px(ui),
        families=(ui.font_family, *[f for f in FALLBACK_FAMILIES if f != ui.font_family]),
        high_contrast=high_contrast,
    )
