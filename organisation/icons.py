"""App icons made from a brand: its logo on white, or its initials on its colour."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from organisation.models import Brand

SIZES = (192, 512)


def icon_png(*, brand: Brand | None, size: int) -> bytes:
    if brand is not None and brand.logo:
        canvas = Image.new("RGB", (size, size), "white")
        with Image.open(brand.logo) as source:
            logo = source.convert("RGBA")
        logo.thumbnail((int(size * 0.8), int(size * 0.8)))
        canvas.paste(logo, ((size - logo.width) // 2, (size - logo.height) // 2), logo)
    else:
        background = brand.primary_colour if brand else "#1f4e79"
        ink = brand.on_primary_colour if brand else "#ffffff"
        text = brand.initials if brand else "N"
        canvas = Image.new("RGB", (size, size), background)
        draw = ImageDraw.Draw(canvas)
        font = ImageFont.load_default(size=int(size * (0.42 if len(text) > 1 else 0.55)))
        draw.text((size / 2, size / 2), text, fill=ink, font=font, anchor="mm")
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
