"""Frontal faces in a photo: OpenCV's trained Haar cascade, evaluated with numpy.

OpenCV 5 moved `CascadeClassifier` out of the main package (opencv-python 5 has no Haar cascades),
so the cascade's stumps are evaluated here the way OpenCV's HaarEvaluator does: an image pyramid,
24×24 windows, each feature's rectangle sums from an integral image, normalised by the window's
standard deviation, stages rejecting windows early; the hits are grouped like `groupRectangles`.
The cascade file is Debian's `opencv-data` (`/usr/share/opencv4/haarcascades`), or any folder in
MATERIAL_CHECKS_CASCADE_DIR; nothing is downloaded. Without it the face check says "未检查".
"""

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CASCADE_FILE = "haarcascade_frontalface_default.xml"
SEARCH_DIRS = ["/usr/share/opencv4/haarcascades", "/usr/share/opencv/haarcascades"]


class CascadeUnavailable(Exception):
    pass


@dataclass(frozen=True)
class Stage:
    threshold: float
    feature: np.ndarray  # (n,) feature index of each stump
    node_threshold: np.ndarray  # (n,)
    left: np.ndarray  # (n,) leaf value when the feature value is below the threshold
    right: np.ndarray


@dataclass(frozen=True)
class Cascade:
    size: tuple[int, int]  # (width, height) of the trained window
    stages: list[Stage]
    rects: np.ndarray  # (features, 3, 4) x, y, w, h (zero rows where a feature has two rectangles)
    weights: np.ndarray  # (features, 3)


def _numbers(text: str) -> list[float]:
    return [float(v) for v in text.split()]


def load_cascade(path: Path) -> Cascade:
    root = ET.parse(path).getroot().find("cascade")
    if root is None or root.findtext("featureType", "").strip() != "HAAR":
        raise CascadeUnavailable(f"{path} is not a Haar cascade in OpenCV's current format")
    size = (int(root.findtext("width")), int(root.findtext("height")))
    stages = []
    for stage in root.find("stages"):
        features, thresholds, lefts, rights = [], [], [], []
        for weak in stage.find("weakClassifiers"):
            nodes = _numbers(weak.findtext("internalNodes"))
            leaves = _numbers(weak.findtext("leafValues"))
            if len(nodes) != 4:
                raise CascadeUnavailable(f"{path}: only stump cascades are supported")
            features.append(int(nodes[2]))
            thresholds.append(nodes[3])
            lefts.append(leaves[0])
            rights.append(leaves[1])
        stages.append(
            Stage(
                float(stage.findtext("stageThreshold")),
                np.array(features),
                np.array(thresholds),
                np.array(lefts),
                np.array(rights),
            )
        )
    feature_nodes = list(root.find("features"))
    rects = np.zeros((len(feature_nodes), 3, 4), dtype=np.int64)
    weights = np.zeros((len(feature_nodes), 3))
    for index, feature in enumerate(feature_nodes):
        if feature.findtext("tilted", "0").strip() == "1":
            raise CascadeUnavailable(f"{path}: tilted features are not supported")
        for r, rect in enumerate(feature.find("rects")):
            x, y, w, h, weight = _numbers(rect.text)
            rects[index, r] = (x, y, w, h)
            weights[index, r] = weight
    return Cascade(size, stages, rects, weights)


_cascade: Cascade | None = None
_lock = threading.Lock()


def cascade(extra_dir: str = "") -> Cascade:
    """The frontal-face cascade, parsed once per process."""
    global _cascade
    with _lock:
        if _cascade is None:
            for folder in [extra_dir, *SEARCH_DIRS]:
                if folder and (Path(folder) / CASCADE_FILE).is_file():
                    _cascade = load_cascade(Path(folder) / CASCADE_FILE)
                    break
            else:
                raise CascadeUnavailable(
                    f"找不到人脸检测模型 {CASCADE_FILE}（Debian 软件包 opencv-data 提供，或设置 MATERIAL_CHECKS_CASCADE_DIR）"
                )
        return _cascade


def _integral(image: np.ndarray) -> np.ndarray:
    out = np.zeros((image.shape[0] + 1, image.shape[1] + 1))
    out[1:, 1:] = image.cumsum(0).cumsum(1)
    return out


def _windows_at(model: Cascade, gray: np.ndarray, step: int) -> np.ndarray:
    """Top-left corners (y, x) of the windows of one pyramid level that pass every stage."""
    win_w, win_h = model.size
    height, width = gray.shape
    if height < win_h or width < win_w:
        return np.zeros((0, 2), dtype=np.int64)
    ii = _integral(gray).ravel()
    sq = _integral(gray * gray).ravel()
    stride = width + 1
    ys, xs = np.mgrid[0 : height - win_h + 1 : step, 0 : width - win_w + 1 : step]
    base = (ys * stride + xs).ravel()

    def box(offsets_base, x, y, w, h, table):
        p = offsets_base + y * stride + x
        return table[p + h * stride + w] - table[p + w] - table[p + h * stride] + table[p]

    # variance normalisation over the window shrunk by one pixel (OpenCV's normrect)
    area = (win_w - 2) * (win_h - 2)
    total = box(base, 1, 1, win_w - 2, win_h - 2, ii)
    squares = box(base, 1, 1, win_w - 2, win_h - 2, sq)
    norm = area * squares - total * total
    norm = np.where(norm > 0, np.sqrt(np.maximum(norm, 0)), 1.0)
    for stage in model.stages:
        if base.size == 0:
            break
        rects = model.rects[stage.feature]  # (n, 3, 4)
        x, y, w, h = (rects[..., i] for i in range(4))
        top_left = y * stride + x
        corners = (top_left + h * stride + w, top_left + w, top_left + h * stride, top_left)  # each (n, 3)
        at = base[:, None, None]
        sums = ii[at + corners[0]] - ii[at + corners[1]] - ii[at + corners[2]] + ii[at + corners[3]]  # (N, n, 3)
        value = (sums * model.weights[stage.feature]).sum(axis=2) / norm[:, None]
        score = np.where(value < stage.node_threshold, stage.left, stage.right).sum(axis=1)
        keep = score >= stage.threshold
        base, norm = base[keep], norm[keep]
    return np.stack([base // stride, base % stride], axis=1)


def _group(rects: list[tuple[float, float, float, float]], min_neighbors: int, eps: float = 0.2) -> list[tuple]:
    """OpenCV's groupRectangles: cluster similar rectangles, keep clusters of more than min_neighbors."""
    n = len(rects)
    parent = list(range(n))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            a, b = rects[i], rects[j]
            delta = eps * (min(a[2], b[2]) + min(a[3], b[3])) * 0.5
            if (
                abs(a[0] - b[0]) <= delta
                and abs(a[1] - b[1]) <= delta
                and abs(a[0] + a[2] - b[0] - b[2]) <= delta
                and abs(a[1] + a[3] - b[1] - b[3]) <= delta
            ):
                parent[find(i)] = find(j)
    clusters: dict[int, list] = {}
    for i in range(n):
        clusters.setdefault(find(i), []).append(rects[i])
    found = [
        tuple(float(v) for v in np.mean(members, axis=0))
        for members in clusters.values()
        if len(members) > min_neighbors
    ]
    # drop a rectangle inside a bigger, better-supported one (as groupRectangles does)
    found.sort(key=lambda r: -r[2])
    kept = []
    for r in found:
        if not any(
            r[0] >= k[0] - 0.2 * k[2]
            and r[1] >= k[1] - 0.2 * k[3]
            and r[0] + r[2] <= k[0] + 1.2 * k[2]
            and r[1] + r[3] <= k[1] + 1.2 * k[3]
            for k in kept
        ):
            kept.append(r)
    return kept


def find_faces(
    gray: np.ndarray, *, min_size: int, scale_factor: float = 1.1, min_neighbors: int = 3, extra_dir: str = ""
) -> list[tuple[int, int, int, int]]:
    """Frontal faces (x, y, w, h) in a grayscale image (uint8 or float), none smaller than min_size px."""
    import cv2

    model = cascade(extra_dir)
    win_w, win_h = model.size
    height, width = gray.shape
    gray = gray.astype(np.float64)
    hits: list[tuple[float, float, float, float]] = []
    factor = max(1.0, min_size / win_w)
    while width / factor >= win_w and height / factor >= win_h:
        size = (round(width / factor), round(height / factor))
        level = cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR)
        step = 1 if factor > 2 else 2
        for y, x in _windows_at(model, level, step):
            hits.append((x * factor, y * factor, win_w * factor, win_h * factor))
        factor *= scale_factor
    return [tuple(round(v) for v in r) for r in _group(hits, min_neighbors)]
