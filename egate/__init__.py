"""E-gate verification engine: MRZ reading, e-passport chip and passive authentication, face.

Plain Python, no Qt.
"""
