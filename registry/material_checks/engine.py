"""The OCR engine (rapidocr-onnxruntime: PP-OCRv4 Chinese models inside its wheel), loaded once per
process and used by one job at a time. Nothing is downloaded: when the package, its models or
OpenCV's system libraries cannot load, `recognise` raises EngineUnavailable with the reason, and
the checks that need text say "未检查"."""

import logging
import threading
from pathlib import Path

import numpy as np

logger = logging.getLogger("registry.material_checks")


class EngineUnavailable(Exception):
    pass


MODEL_FILES = {
    "det_model_path": "ch_PP-OCRv4_det_infer.onnx",
    "rec_model_path": "ch_PP-OCRv4_rec_infer.onnx",
    "cls_model_path": "ch_ppocr_mobile_v2.0_cls_infer.onnx",
}
_engines: dict[tuple, object] = {}  # (threads, model_dir) → a RapidOCR, or the reason it did not load
_load_lock = threading.Lock()
_run_lock = threading.Lock()  # one recognition at a time per process: the machine's cores stay for requests


def engine(threads: int = 1, model_dir: str = ""):
    """The engine, loaded on first use (about 1 s, 170 MB) and kept for the process."""
    key = (threads, model_dir)
    with _load_lock:
        if key not in _engines:
            try:
                from rapidocr_onnxruntime import RapidOCR

                paths = {name: str(Path(model_dir) / file) for name, file in MODEL_FILES.items()} if model_dir else {}
                _engines[key] = RapidOCR(intra_op_num_threads=threads, inter_op_num_threads=1, **paths)
            except Exception as exc:  # ImportError (no libGL for cv2), missing model files, onnxruntime errors
                _engines[key] = EngineUnavailable(f"{type(exc).__name__}: {exc}"[:250])
                logger.warning("OCR engine unavailable: %s", _engines[key])
        loaded = _engines[key]
    if isinstance(loaded, EngineUnavailable):
        raise loaded
    return loaded


def recognise(image: np.ndarray, *, threads: int = 1, model_dir: str = "") -> list[dict]:
    """Text lines of an RGB image, top to bottom: [{"text", "score", "box"}]."""
    ocr = engine(threads, model_dir)
    with _run_lock:
        result, _ = ocr(image[:, :, ::-1].copy())  # RapidOCR takes OpenCV's BGR order
    lines = [
        {
            "text": str(text),
            "score": round(float(score), 3),
            "box": [[round(float(x)), round(float(y))] for x, y in box],
        }
        for box, text, score in (result or [])
    ]
    return reading_order(lines)


def reading_order(lines: list[dict]) -> list[dict]:
    """Rows top to bottom (boxes whose vertical middles fall within the row's first box), each row
    left to right: "姓名" comes before the name printed beside it."""
    rows: list[list[dict]] = []
    for line in sorted(lines, key=lambda line: _middle(line)):
        top, bottom = (min(p[1] for p in line["box"]), max(p[1] for p in line["box"])) if not rows else (0, 0)
        if rows:
            first = rows[-1][0]
            top, bottom = min(p[1] for p in first["box"]), max(p[1] for p in first["box"])
        if rows and top <= _middle(line) <= bottom:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda line: min(p[0] for p in line["box"]))]


def _middle(line: dict) -> float:
    return sum(p[1] for p in line["box"]) / len(line["box"])
