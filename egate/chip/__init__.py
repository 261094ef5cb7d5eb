"""E-passport chip reader (ICAO Doc 9303 Parts 10 and 11): PACE or BAC, secure messaging, LDS
data groups, passive and active authentication, and an emulated chip for tests and demos.

Entry point: :func:`egate.chip.reader.read_passport` over any
:class:`egate.chip.transport.Transport` (PC/SC through pyscard, or in-process).
No Qt, no I/O at import time.
"""
