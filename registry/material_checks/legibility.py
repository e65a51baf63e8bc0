"""Is the picture readable: sharp enough, neither too dark nor washed out.

Measured on a grey copy scaled to a fixed size (SIDE px on the longer side), so a phone photo and a
scan are judged alike. The thresholds come from bench/material_checks.py's corpus (sharp and
blurred, dark and over-exposed renderings of the same documents); docs/materials.md has the figures.
"""

import numpy as np

SIDE = 1000
# variance of the Laplacian below this: too blurred to read (docs/materials.md, "Legibility")
SHARPNESS_MIN = 150.0
# 99th percentile of brightness below this: no paper-white anywhere, the picture is too dark
DARK_P99_MAX = 100
# 1st percentile above this: no ink-dark anywhere (text is at least 1% of a document), washed out
BRIGHT_P1_MIN = 120


def grey_at_scale(image: np.ndarray) -> np.ndarray:
    import cv2

    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    height, width = grey.shape
    scale = SIDE / max(height, width)
    if scale != 1:
        grey = cv2.resize(grey, (round(width * scale), round(height * scale)), interpolation=cv2.INTER_AREA)
    return grey


def measure(image: np.ndarray) -> dict:
    import cv2

    grey = grey_at_scale(image)
    laplacian = cv2.Laplacian(grey.astype(np.float64), cv2.CV_64F)
    p1, p99 = np.percentile(grey, [1, 99])
    return {"sharpness": round(float(laplacian.var()), 1), "p1": round(float(p1)), "p99": round(float(p99))}
