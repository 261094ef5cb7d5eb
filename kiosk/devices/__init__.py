"""Device layer: one interface per device kind, real-protocol adapters, simulators, manager.

Plain Python, no Qt.  See :mod:`kiosk.devices.base` for the shared mechanics (worker thread,
timeouts, health) and :mod:`kiosk.devices.registry` for choosing adapters by name.
"""
