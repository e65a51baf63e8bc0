"""Is the picture readable: sharp enough, neither too dark nor washed out.

Measured on a grey copy scaled to a fixed size (SIDE px on the longer side), so a phone photo and a
scan are judged alike. The thresholds come from bench/material_checks.py's corpus (sharp and
blurred, dark and over-exposed renderings of the same documents); docs/materials.md has the figures.
"""

import numpy as np

SIDE = 1000
# Edge steepness below this: too blurred to read (docs/materials.md, "Legibility"). The measure is the
# 99.9th percentile of the Sobel gradient over the picture's contrast (1st to 99th percentile of
# brightness): how steep the steepest edges (text strokes) are, whatever the amount of text and the
# lighting. The variance of the Laplacian was measured too and separated sharp from blurred worse.
SHARPNESS_MIN = 2.2
# 99th percentile of brightness below this: no paper-white anywhere, the picture is too dark
DARK_P99_MAX = 100
# 1st percentile above this: no ink-dark anywhere (text is at least 1% of a document), washed out
BRIGHT_P1_MIN = 175
# 1st to 99th percentile of brightness narrower than this: one flat colour, a blank page (a blank scan
# or an empty PDF page); its "sharpness" and exposure say nothing about legibility
BLANK_RANGE_MAX = 12


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

    grey = grey_at_scale(image).astype(np.float64)
    p1, p99 = np.percentile(grey, [1, 99])
    gradient = np.hypot(cv2.Sobel(grey, cv2.CV_64F, 1, 0), cv2.Sobel(grey, cv2.CV_64F, 0, 1))
    sharpness = float(np.percentile(gradient, 99.9)) / max(float(p99 - p1), 1.0)
    return {"sharpness": round(sharpness, 2), "p1": round(float(p1)), "p99": round(float(p99))}
