"""Sync with the central platform: the agent (kiosk side), the wire protocol, and
``sync.central``, the reference central platform server used by the demo and tests.

Plain Python, no Qt.
"""
