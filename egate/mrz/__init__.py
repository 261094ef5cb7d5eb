"""MRZ reader: find, read and check the machine readable zone of a passport, ID card or visa.

``read_mrz(frame)`` / ``read_mrz_frames(frames)`` in :mod:`egate.mrz.reader` are the entry
points; :mod:`egate.mrz.parse` holds the ICAO 9303 layouts and check digits.
"""
