"""Peak memory of checking one upload, each file in a fresh process (docs/performance.md).

    .venv/bin/python bench/upload_memory.py

Builds the files (a 6300×6300 PNG of ~116 KB as in issue 9, a 12 Mpx phone photo of a certificate,
a 16 Mpx JPEG, a 20-page scanned PDF), then for each one starts a child process that imports
everything, reads the bytes, and runs the upload check (`check_material`, plus rendering the PDF's
pages when that exists). It prints the child's peak RSS growth over its baseline (getrusage), i.e.
what one upload costs a worker on top of its resting size. (The peak is reset through
/proc/self/clear_refs before the check, so import-time peaks do not hide it; Linux only.)
"""

import io
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.files import big_white_png  # noqa: E402 — the same PNG the tests refuse


def photo_of_certificate(size) -> bytes:
    """A JPEG like a phone photo of a printed page: paper, lines of dark text, mild sensor noise."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", size, (236, 232, 222))
    draw = ImageDraw.Draw(image)
    width, height = size
    for y in range(height // 10, height * 9 // 10, max(8, height // 60)):
        draw.rectangle((width // 10, y, width * 9 // 10, y + max(3, height // 200)), fill=(40, 40, 40))
    noise = Image.effect_noise(size, 12).convert("RGB")
    image = Image.blend(image, noise, 0.08).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=88)
    return out.getvalue()


def scanned_pdf(pages=20) -> bytes:
    from PIL import Image

    images = []
    for _ in range(pages):
        page = Image.open(io.BytesIO(photo_of_certificate((1240, 1754))))
        images.append(page)
    out = io.BytesIO()
    images[0].save(out, format="PDF", save_all=True, append_images=images[1:], resolution=150)
    return out.getvalue()


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in KB."""
    return int(re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text()).group(1))


def measure(path: str, kind: str) -> None:
    """In the child: baseline after imports and reading, then the check; print the growth in MB."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import pypdf  # noqa: F401
    import pypdfium2  # noqa: F401
    from PIL import Image  # noqa: F401

    from registry.applications import materials
    from registry.applications.materials import MaterialRejected, check_material

    data = Path(path).read_bytes()
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    before = _status("VmRSS")
    try:
        checked = check_material(kind, data)
        outcome = f"accepted ({checked.width}×{checked.height}, {len(checked.content) // 1024} KB)"
        if checked.content_type == materials.PDF and hasattr(materials, "render_pdf_pages"):
            pages = list(materials.render_pdf_pages(checked.content))
            outcome += f", {len(pages)} pages rendered"
    except MaterialRejected as exc:
        outcome = f"refused {exc.code}"
    after = _status("VmHWM")
    print(f"{(after - before) / 1024:7.1f} MB  {outcome}")


def main() -> None:
    cases = [
        ("PNG 6300×6300 (issue 9)", "id_front", big_white_png),
        ("JPEG 4032×3024 phone photo", "diploma", lambda: photo_of_certificate((4032, 3024))),
        ("JPEG 4608×3456 (16 Mpx)", "diploma", lambda: photo_of_certificate((4608, 3456))),
        ("PDF, 20 scanned A4 pages", "diploma", scanned_pdf),
    ]
    with tempfile.TemporaryDirectory() as folder:
        for label, kind, make in cases:
            path = Path(folder) / "upload"
            data = make()
            path.write_bytes(data)
            result = subprocess.run(
                [sys.executable, __file__, "--one", str(path), kind],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
            )
            line = result.stdout.strip() or result.stderr.strip().splitlines()[-1]
            print(f"{label:32} {len(data) / 1024:8.0f} KB  {line}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        measure(sys.argv[2], sys.argv[3])
    else:
        main()
