"""Screens, one per file, registered by the flow state they show.

Later issues add screens (services, e-gate, maintenance) by adding a file and one line to
:data:`SCREENS` (or calling :func:`register_screen`); the router builds screens lazily from it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing this package must not load Qt (pkgutil walks import packages)
    from kiosk.ui.screens.base import Screen, ScreenContext

#: flow state name -> "module:Class" of the screen that shows it.
SCREENS: dict[str, str] = {
    "attract": "kiosk.ui.screens.attract:AttractScreen",
    "language": "kiosk.ui.screens.language:LanguageScreen",
    "identify": "kiosk.ui.screens.identify:IdentifyScreen",
    "menu": "kiosk.ui.screens.menu:MenuScreen",
    "service_step": "kiosk.ui.screens.service_step:ServiceStepScreen",
    "done": "kiosk.ui.screens.done:DoneScreen",
    "out_of_service": "kiosk.ui.screens.out_of_service:OutOfServiceScreen",
    "maintenance_login": "kiosk.ui.screens.maintenance:MaintenanceLoginScreen",
}


def register_screen(state: str, target: str) -> None:
    """Show ``state`` with the screen class named ``"module:Class"``."""
    SCREENS[state] = target


def build_screen(state: str, ctx: ScreenContext) -> Screen:
    """Instantiate the screen registered for ``state``."""
    module, _, cls = SCREENS[state].partition(":")
    return getattr(importlib.import_module(module), cls)(ctx)


__all__ = ["SCREENS", "build_screen", "register_screen"]
