"""Bawaba kiosk core: session flows, configuration, i18n and the composition root.

Nothing in this package (outside ``kiosk.ui``) imports Qt or does I/O at import time.
"""

__version__ = "0.1.0"
