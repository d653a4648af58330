"""Lookup tables of the strategic planning guide that more than one service applies.

The stakeholder priority matrix is used by the registry (the frame's situation analysis) and by
consultation (the stakeholder register), so it is defined once here.
"""
PRIORITIES = {
    # (high influence, high importance) -> the guide's advice
    (False, False): "watch",          # İzle
    (True, False): "inform",          # Bilgilendir
    (False, True): "consider",        # Çıkarlarını gözet
    (True, True): "work_together",    # Birlikte çalış
}
HIGH = 3  # on the 1-5 scale, 3 and above counts as high


def stakeholder_priority(influence, importance):
    return PRIORITIES[(influence >= HIGH, importance >= HIGH)]
