"""Measure the materials read-back checks on a generated corpus (docs/materials.md, docs/performance.md).

    PYTHONPATH=$PWD .venv/bin/python bench/material_checks.py [--per-kind 6] [--threads 1]

Renders ID cards, qualification certificates, diplomas and degree certificates with random names and
numbers (tests/material_corpus.py), spoils them the way phone pictures are spoiled, OCRs each once,
and judges every reading against a matching form and against forms with one digit / one character /
the school changed. Prints precision and recall of each warning (the positive class is "the form and
the material disagree"), for number tolerances 0, 1 and 2; then the legibility measures over sharp,
blurred, dark and washed-out renderings with the thresholds' precision/recall; the face check on
drawn portraits; time per image and the process's peak memory. About 3 minutes at --per-kind 6 on
one core of the 2-core development machine.
"""

import argparse
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from registry.core.generators import resident_id  # noqa: E402
from registry.demo.people import GIVEN, SURNAMES  # noqa: E402
from registry.material_checks import engine, legibility, selectors  # noqa: E402
from registry.material_checks.matching import find_number, find_text, id_front_checks  # noqa: E402
from registry.material_checks.services import OCR_MAX_SIDE, _faces, _fitted  # noqa: E402
from tests import material_corpus as mc  # noqa: E402

SCHOOLS = ["中央财经大学", "北京工商大学", "首都经济贸易大学", "对外经济贸易大学", "北京交通大学", "中国人民大学"]
SPOILS = {
    "clean": lambda im, rng: im,
    "rotated": lambda im, rng: mc.rotate(im, rng.choice([-1, 1]) * rng.uniform(2, 6)),
    "perspective": lambda im, rng: mc.perspective(im, 0.08, seed=rng.randrange(1000)),
    "jpeg_noise": lambda im, rng: mc.jpeg_noise(im, quality=30, noise=0.08),
    "mild_blur": lambda im, rng: mc.blur(im, 1.5),
    "phone": lambda im, rng: mc.jpeg_noise(
        mc.perspective(mc.rotate(im, rng.uniform(-4, 4)), 0.06, seed=rng.randrange(1000)), quality=45
    ),
}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def person(rng):
    return rng.choice(SURNAMES[:100]) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def one_digit_changed(number: str, rng) -> str:
    positions = [i for i, c in enumerate(number) if c.isdigit()]
    i = rng.choice(positions)
    return number[:i] + rng.choice([d for d in "0123456789" if d != number[i]]) + number[i + 1 :]


def other_name(name: str, rng) -> str:
    return rng.choice([s for s in SURNAMES[:100] if s != name[0]]) + name[1:]


class Tally:
    def __init__(self):
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, mismatch: bool, flagged: bool):
        if mismatch and flagged:
            self.tp += 1
        elif mismatch:
            self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1

    def row(self, name):
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")
        return f"| {name} | {self.tp + self.fn} | {self.tn + self.fp} | {precision:.2f} | {recall:.2f} | {self.fp} | {self.fn} |"


def text_corpus(per_kind: int, threads: int, rng):
    tallies: dict[str, Tally] = {}
    by_spoil: dict[str, Tally] = {}
    seconds: dict[str, list[float]] = {}

    def tally(name):
        return tallies.setdefault(name, Tally())

    spoil_names = list(SPOILS)
    for kind in ("id_front", "qualification_cert", "diploma", "degree"):
        for i in range(per_kind):
            spoil = spoil_names[i % len(spoil_names)]
            name = person(rng)
            if kind == "id_front":
                number = resident_id(rng)
                image = mc.id_card(name=name, id_number=number)
            elif kind == "qualification_cert":
                number = f"Z{rng.randrange(10**13, 10**14)}"
                image = mc.certificate(name=name, number=number)
            else:
                number = str(rng.randrange(10**15, 10**16)) + ("" if kind == "degree" else "12")
                school = rng.choice(SCHOOLS)
                image = mc.diploma(name=name, number=number, school=school, degree=kind == "degree")
            image = SPOILS[spoil](image, rng).convert("RGB")
            started = time.perf_counter()
            lines = engine.recognise(_fitted(np.asarray(image), OCR_MAX_SIDE), threads=threads)
            seconds.setdefault(kind, []).append(time.perf_counter() - started)
            spoil_tally = by_spoil.setdefault(spoil, Tally())
            if kind == "id_front":
                for typed, typed_name, mismatch_number, mismatch_name in (
                    (number, name, False, False),
                    (resident_id(rng), name, True, False),
                    (number, other_name(name, rng), False, True),
                ):
                    checks = {
                        c.code: c
                        for c in id_front_checks(
                            {"id_type": "resident_id", "id_number": typed, "name": typed_name}, lines
                        )
                    }
                    tally("id_number").add(mismatch_number, checks["id_number"].ok is False)
                    tally("id_name").add(mismatch_name, checks["id_name"].ok is False)
                    spoil_tally.add(mismatch_number, checks["id_number"].ok is False)
                continue
            code = {"qualification_cert": "certificate_number", "diploma": "diploma_number", "degree": "degree_number"}[
                kind
            ]
            typo = one_digit_changed(number, rng)
            for tolerance in (0, 1, 2):
                tally(f"{code} (tolerance {tolerance})").add(False, not find_number(number, lines, tolerance)[0])
                tally(f"{code} (tolerance {tolerance})").add(True, not find_number(typo, lines, tolerance)[0])
            spoil_tally.add(False, not find_number(number, lines)[0])
            spoil_tally.add(True, not find_number(typo, lines)[0])
            if kind != "qualification_cert":
                other = rng.choice([s for s in SCHOOLS if s != school])
                for tolerance in (0, 1):
                    tally(f"school (tolerance {tolerance})").add(False, not find_text(school, lines, tolerance)[0])
                    tally(f"school (tolerance {tolerance})").add(True, not find_text(other, lines, tolerance)[0])
    print("\n### Cross-checks (positive = form and material disagree)\n")
    print("| check | mismatches | matches | precision | recall | false warnings | missed |")
    print("|---|---|---|---|---|---|---|")
    for name, t in sorted(tallies.items()):
        print(t.row(name))
    print("\n### Number checks by how the picture was spoiled (tolerance 0)\n")
    print("| picture | mismatches | matches | precision | recall | false warnings | missed |")
    print("|---|---|---|---|---|---|---|")
    for name, t in by_spoil.items():
        print(t.row(name))
    print(f"\n### OCR time per image (seconds, threads={threads})\n")
    print("| kind | images | mean | max |")
    print("|---|---|---|---|")
    for kind, values in seconds.items():
        print(f"| {kind} | {len(values)} | {statistics.mean(values):.2f} | {max(values):.2f} |")


def legibility_corpus(rng):
    bases = []
    for i in range(4):
        bases += [
            mc.id_card(name=person(rng), id_number=resident_id(rng)),
            mc.certificate(number=f"Z{rng.randrange(10**13, 10**14)}"),
            mc.diploma(school=SCHOOLS[i], number=str(rng.randrange(10**17, 10**18))),
        ]
    sharp, blurred = [], []
    radii = {0: "sharp", 0.8: "sharp", 1.2: "sharp", 2.5: "blurred", 3.5: "blurred", 5: "blurred"}
    times = []
    for base in bases:
        for radius, label in radii.items():
            image = mc.jpeg_noise(mc.blur(base, radius) if radius else base, quality=80, noise=0.03)
            started = time.perf_counter()
            value = legibility.measure(np.asarray(image))["sharpness"]
            times.append(time.perf_counter() - started)
            (sharp if label == "sharp" else blurred).append(value)
    print("\n### Sharpness (99.9th percentile of the Sobel gradient / contrast, at 1000 px)\n")
    print(f"sharp renderings (blur radius ≤ 1.2 px): min {min(sharp):.2f}, median {statistics.median(sharp):.2f}")
    print(f"blurred renderings (radius ≥ 2.5 px): max {max(blurred):.2f}, median {statistics.median(blurred):.2f}")
    print("| threshold | precision | recall |\n|---|---|---|")
    for threshold in (1.6, 1.9, legibility.SHARPNESS_MIN, 2.5, 2.8):
        t = Tally()
        for v in sharp:
            t.add(False, v < threshold)
        for v in blurred:
            t.add(True, v < threshold)
        precision = t.tp / (t.tp + t.fp) if t.tp + t.fp else float("nan")
        print(f"| {threshold:.1f} | {precision:.2f} | {t.tp / (t.tp + t.fn):.2f} |")
    exposure = {"dark": Tally(), "washed": Tally()}
    p99s, p1s = {}, {}
    for base in bases:
        for factor, too_dark in ((1.0, False), (0.7, False), (0.3, True), (0.2, True)):
            m = legibility.measure(np.asarray(mc.darken(base, factor)))
            p99s.setdefault(factor, []).append(m["p99"])
            exposure["dark"].add(too_dark, m["p99"] < legibility.DARK_P99_MAX)
        for factor, washed in ((1.0, False), (1.3, False), (2.6, True), (3.2, True)):
            m = legibility.measure(np.asarray(mc.overexpose(base, factor) if factor > 1 else mc.darken(base, factor)))
            p1s.setdefault(factor, []).append(m["p1"])
            exposure["washed"].add(washed, m["p1"] > legibility.BRIGHT_P1_MIN)
    print("\n### Exposure\n")
    print("99th percentile by brightness factor:", {k: (min(v), max(v)) for k, v in p99s.items()})
    print("1st percentile by over-exposure factor:", {k: (min(v), max(v)) for k, v in p1s.items()})
    print("| check | bad | good | precision | recall | false warnings | missed |\n|---|---|---|---|---|---|---|")
    for name, t in exposure.items():
        print(t.row(f"{name} (threshold {legibility.DARK_P99_MAX if name == 'dark' else legibility.BRIGHT_P1_MIN})"))
    print(f"\nlegibility measure: {statistics.mean(times) * 1000:.0f} ms per image")


def face_corpus(rng):
    t = Tally()
    times = []
    cases = []
    for seed in range(20):
        cases.append(
            (
                mc.portrait(
                    seed=seed, offset=(rng.uniform(-0.04, 0.04), rng.uniform(-0.03, 0.03)), scale=rng.uniform(0.9, 1.15)
                ),
                False,
            )
        )
    for seed in range(8):
        cases.append((mc.portrait(seed=seed, face=False), True))
        cases.append((mc.portrait(seed=seed, offset=(rng.choice([-1, 1]) * rng.uniform(0.22, 0.3), 0)), True))
        cases.append((mc.portrait(seed=seed, scale=0.45), True))
    for image, bad in cases:
        arr = np.asarray(mc.jpeg_noise(image, quality=85, noise=0.02))
        started = time.perf_counter()
        found = _faces(arr, "")
        times.append(time.perf_counter() - started)
        check = selectors.face_check(found, arr.shape[1], arr.shape[0])
        t.add(bad, check.ok is False)
    print("\n### Face (drawn portraits: 20 good; 8 each without a face, off-centre, too small)\n")
    print("| check | bad | good | precision | recall | false warnings | missed |\n|---|---|---|---|---|---|---|")
    print(t.row("face"))
    print(f"\nface search: {statistics.mean(times) * 1000:.0f} ms per photo")


def job_timing(threads: int):
    """What one reading costs on a phone picture as stored (longer side 2048 px): legibility + OCR."""
    print(f"\n### One reading of a stored 2048-px picture (threads={threads})\n")
    print("| material | seconds |\n|---|---|")
    for name, make in (("id_front", mc.id_card), ("qualification_cert", mc.certificate), ("diploma", mc.diploma)):
        image = make()
        image = np.asarray(image.resize((2048, round(2048 * image.height / image.width))))
        started = time.perf_counter()
        legibility.measure(image)
        engine.recognise(_fitted(image, OCR_MAX_SIDE), threads=threads)
        print(f"| {name} | {time.perf_counter() - started:.1f} |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-kind", type=int, default=6)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument(
        "--parts", default="text,legibility,face,job", help="comma-separated: text, legibility, face, job"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"peak RSS after Django setup: {rss_mb():.0f} MB")
    started = time.perf_counter()
    engine.engine(args.threads)  # loaded even without the text part: its memory is part of the worker's
    print(f"OCR engine load: {time.perf_counter() - started:.2f} s, peak RSS {rss_mb():.0f} MB")
    parts = args.parts.split(",")
    if "text" in parts:
        text_corpus(args.per_kind, args.threads, rng)
    if "legibility" in parts:
        legibility_corpus(rng)
    if "face" in parts:
        face_corpus(rng)
    if "job" in parts:
        job_timing(args.threads)
    print(f"\npeak RSS of the process at the end: {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
