"""A generated corpus of materials for the read-back checks: ID cards, certificates, diplomas and
degrees rendered with the CJK font, one-inch photos with a drawn face, and the ways phone pictures go
wrong (rotation, blur, JPEG noise, perspective, too dark, washed out).

The tests use a handful of these; bench/material_checks.py renders a bigger corpus and measures each
check's precision and recall (docs/materials.md)."""

import io
import random

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(FONT, size)


def id_card(*, name="李明", id_number="110105199003070033", gender="男", birth="1990年3月7日") -> Image.Image:
    """The front (人像面) of a resident ID card at 856×540 (a 300-dpi scan of the 85.6 mm card)."""
    image = Image.new("RGB", (856, 540), (232, 238, 236))
    draw = ImageDraw.Draw(image)
    label, value = font(26), font(30)
    draw.text((60, 50), "姓名", font=label, fill=(60, 90, 140))
    draw.text((150, 46), name, font=value, fill=(20, 20, 20))
    draw.text((60, 115), "性别", font=label, fill=(60, 90, 140))
    draw.text((150, 112), gender, font=value, fill=(20, 20, 20))
    draw.text((260, 115), "民族", font=label, fill=(60, 90, 140))
    draw.text((350, 112), "汉", font=value, fill=(20, 20, 20))
    draw.text((60, 180), "出生", font=label, fill=(60, 90, 140))
    draw.text((150, 177), birth, font=value, fill=(20, 20, 20))
    draw.text((60, 245), "住址", font=label, fill=(60, 90, 140))
    draw.text((150, 242), "北京市朝阳区建国路1号", font=value, fill=(20, 20, 20))
    draw.text((60, 430), "公民身份号码", font=label, fill=(60, 90, 140))
    draw.text((250, 426), id_number, font=font(34), fill=(20, 20, 20))
    draw.rectangle((600, 60, 800, 320), fill=(200, 205, 210))  # where the portrait is
    return image


def certificate(
    *, title="专业技术资格证书", number="Z11010516000123", name="李明", extra=("资格名称 会计", "级别 中级")
) -> Image.Image:
    """A certificate page (qualification, practicing) at 1240×880."""
    image = Image.new("RGB", (1240, 880), (250, 246, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 1210, 850), outline=(150, 40, 40), width=8)
    draw.text((420, 90), title, font=font(54), fill=(150, 30, 30))
    draw.text((140, 260), f"姓名  {name}", font=font(36), fill=(20, 20, 20))
    y = 330
    for line in extra:
        draw.text((140, y), line, font=font(36), fill=(20, 20, 20))
        y += 70
    draw.text((140, y + 40), f"证书编号  {number}", font=font(36), fill=(20, 20, 20))
    draw.text((760, 740), "二〇一六年十月十五日", font=font(30), fill=(20, 20, 20))
    return image


def diploma(*, school="中央财经大学", number="100341201205001234", name="李明", degree=False) -> Image.Image:
    """A diploma (毕业证书) or degree certificate (学位证书) page at 1240×880."""
    title = "学士学位证书" if degree else "毕业证书"
    image = Image.new("RGB", (1240, 880), (252, 250, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((30, 30, 1210, 850), outline=(40, 60, 120), width=8)
    draw.text((480 if degree else 520, 90), title, font=font(56), fill=(40, 60, 120))
    body = (
        f"{name}，于二〇〇八年九月至二〇一二年七月在本校会计学专业学习，"
        if not degree
        else f"{name}，在本校会计学专业完成了学士学位的学习，"
    )
    draw.text((120, 250), body[:20], font=font(34), fill=(20, 20, 20))
    draw.text(
        (120, 310),
        body[20:] + ("修完规定课程，准予毕业。" if not degree else "授予管理学学士学位。"),
        font=font(34),
        fill=(20, 20, 20),
    )
    draw.text((120, 460), f"学校名称：{school}", font=font(36), fill=(20, 20, 20))
    draw.text((120, 540), f"证书编号：{number}", font=font(36), fill=(20, 20, 20))
    draw.text((760, 720), "二〇一二年七月一日", font=font(30), fill=(20, 20, 20))
    return image


def portrait(
    *, size=(358, 441), face=True, offset=(0.0, 0.0), scale=1.0, background=(255, 255, 255), seed=1
) -> Image.Image:
    """A one-inch photo: a drawn head and shoulders (a face OpenCV's frontal cascade finds), or with
    face=False the same silhouette seen from behind (hair only)."""
    rng = random.Random(seed)
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    skin = (214 + rng.randrange(20), 172 + rng.randrange(16), 140 + rng.randrange(16))
    cx, cy = width * (0.5 + offset[0]), height * (0.40 + offset[1])
    fw, fh = width * 0.40 * scale, height * 0.42 * scale
    draw.ellipse((width * 0.08, height * 0.78, width * 0.92, height * 1.3), fill=(40, 50, 80))
    draw.ellipse((cx - fw / 2 - 8, cy - fh / 2 - 18, cx + fw / 2 + 8, cy + fh / 4), fill=(40, 30, 25))
    if not face:
        draw.ellipse((cx - fw / 2, cy - fh / 2, cx + fw / 2, cy + fh / 2), fill=(45, 34, 28))
    else:
        draw.ellipse((cx - fw / 2, cy - fh / 2, cx + fw / 2, cy + fh / 2), fill=skin)
        draw.rectangle((cx - fw * 0.18, cy + fh * 0.4, cx + fw * 0.18, height * 0.85), fill=skin)
        eye_y, eye_x = cy - fh * 0.08, fw * 0.22
        for side in (-1, 1):
            x = cx + side * eye_x
            draw.ellipse(
                (x - fw * 0.13, eye_y - fh * 0.11 - 10 * scale, x + fw * 0.13, eye_y - fh * 0.11 - 2 * scale),
                fill=(60, 40, 30),
            )
            draw.ellipse((x - fw * 0.10, eye_y - fh * 0.04, x + fw * 0.10, eye_y + fh * 0.04), fill=(250, 250, 250))
            draw.ellipse((x - fw * 0.05, eye_y - fh * 0.04, x + fw * 0.05, eye_y + fh * 0.04), fill=(30, 20, 20))
        draw.polygon(
            [(cx, eye_y + 5), (cx - fw * 0.07, cy + fh * 0.15), (cx + fw * 0.07, cy + fh * 0.15)], fill=(200, 150, 125)
        )
        draw.ellipse((cx - fw * 0.17, cy + fh * 0.24, cx + fw * 0.17, cy + fh * 0.31), fill=(170, 80, 80))
    image = image.filter(ImageFilter.GaussianBlur(2))
    noise = Image.effect_noise(size, 24).convert("RGB")  # sensor noise: keeps the JPEG a real photo's size
    return Image.blend(image, noise, 0.08)


# --- How phone pictures go wrong -----------------------------------------------------------------


def rotate(image: Image.Image, degrees: float) -> Image.Image:
    return image.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=(120, 110, 100))


def blur(image: Image.Image, radius: float) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(radius))


def jpeg_noise(image: Image.Image, quality: int = 35, noise: float = 0.06) -> Image.Image:
    noisy = Image.blend(image, Image.effect_noise(image.size, 80).convert("RGB"), noise)
    out = io.BytesIO()
    noisy.save(out, format="JPEG", quality=quality)
    return Image.open(io.BytesIO(out.getvalue())).convert("RGB")


def perspective(image: Image.Image, amount: float = 0.08, seed: int = 0) -> Image.Image:
    """The document photographed at an angle on a table: corners pulled in, a grey surround."""
    rng = random.Random(seed)
    width, height = image.size
    pad = int(max(width, height) * 0.08)
    canvas = Image.new("RGB", (width + 2 * pad, height + 2 * pad), (110, 100, 90))
    canvas.paste(image, (pad, pad))
    w, h = canvas.size

    def jitter(v, span):
        return v + rng.uniform(0, amount) * span

    quad = (
        jitter(0, w), jitter(0, h),
        jitter(0, w), h - jitter(0, h),
        w - jitter(0, w), h - jitter(0, h),
        w - jitter(0, w), jitter(0, h),
    )  # fmt: skip
    return canvas.transform((w, h), Image.Transform.QUAD, quad, resample=Image.Resampling.BICUBIC)


def darken(image: Image.Image, factor: float = 0.25) -> Image.Image:
    return ImageEnhance.Brightness(image).enhance(factor)


def overexpose(image: Image.Image, factor: float = 2.6) -> Image.Image:
    return ImageEnhance.Contrast(ImageEnhance.Brightness(image).enhance(factor)).enhance(0.5)


def as_jpeg(image: Image.Image, quality: int = 92) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def as_png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
