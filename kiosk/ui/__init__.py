"""The Qt user interface: main window, screens, on-screen keyboard, theme (the only Qt layer)."""
