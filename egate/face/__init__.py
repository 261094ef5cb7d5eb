"""Face capture and 1:1 verification for the e-gate, offline.

Detection (dlib HOG, or OpenCV's Haar cascade as the fast path), quality checks, simple
presentation-attack checks across frames, and matching with dlib's ResNet face descriptor
(models shipped by the ``face-recognition-models`` package; nothing is downloaded at run time).
Biometric data lives only in memory for one transaction: see :mod:`egate.face.verify`.
"""

from egate.face.verify import FaceDecision, FaceVerifier, MatchResult

__all__ = ["FaceDecision", "FaceVerifier", "MatchResult"]
