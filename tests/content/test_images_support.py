"""Synthetic pictures for the image tests, and the generator of examples/brain-scans.jpg.

Every photo the tests use is drawn here, so no test depends on a file from elsewhere. Run
`python tests/content/test_images_support.py` to redraw the sample photo of the demo post.
"""

from __future__ import annotations

import functools
import io
import random
import statistics
import struct
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

from content.brand import Brand
from content.images.cards import Look
from content.images.colour import luminance
from content.images.fonts import FontLibrary
from content.images.render import Media, look_for
from scheduler.config import ASSETS, load_brand
from scheduler.images import font_library

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_POST = ROOT / "examples" / "glutamate.md"


def fonts() -> FontLibrary:
    return font_library(None, None)


def brand() -> Brand:
    return load_brand(ROOT / "brand.toml")


def look(network: str = "instagram", **media: bytes) -> Look:
    return look_for(brand(), network, Media(fonts(), {}, **media))


def assets() -> Path:
    return ASSETS

GPS_IFD = 0x8825
ORIENTATION = 0x0112
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" photoshop:City="Tallahassee"/>'
    b"</rdf:RDF></x:xmpmeta>"
)
# Bytes that betray metadata in an encoded file.
METADATA_MARKERS = (b"Exif", b"xmpmeta", b"Tallahassee", b"http://ns.adobe.com", b"CrierCam")


def lab_scene(width: int = 2000, height: int = 1333, seed: int = 7) -> Image.Image:
    """A doctor at brain scans on several monitors, colleagues behind: cool blue tones."""
    return _lab_scene(width, height, seed).copy()


@functools.lru_cache(maxsize=4)
def _lab_scene(width: int, height: int, seed: int) -> Image.Image:
    rng = random.Random(seed)
    ramp = Image.linear_gradient("L").resize((width, height))
    room = Image.composite(Image.new("RGB", (width, height), (40, 78, 112)),
                           Image.new("RGB", (width, height), (8, 22, 40)), ramp)
    back = room.copy()
    draw = ImageDraw.Draw(back)
    for i in range(5):  # ceiling light panels
        x = int(width * (0.1 + 0.2 * i))
        draw.rectangle((x, 40, x + width // 9, 70), fill=(170, 210, 240))
    for x, tone in ((int(width * 0.84), (120, 150, 178)), (int(width * 0.93), (96, 126, 156))):
        draw.ellipse((x, 300, x + 110, 420), fill=(52, 40, 36))  # colleagues, out of focus
        draw.rounded_rectangle((x - 60, 410, x + 170, 1000), 70, fill=tone)
    back = back.filter(ImageFilter.GaussianBlur(12))
    draw = ImageDraw.Draw(back)
    desk_top = int(height * 0.68)
    draw.rectangle((0, desk_top, width, height), fill=(18, 32, 50))
    draw.rectangle((0, desk_top, width, desk_top + 6), fill=(60, 96, 130))
    for i in range(3):  # the monitors with their scans
        left = int(width * (0.28 + 0.18 * i))
        box = (left, int(height * 0.32), left + int(width * 0.165), desk_top - 40)
        glow = Image.new("L", back.size, 0)
        ImageDraw.Draw(glow).rectangle(box, fill=90)
        back.paste((90, 150, 210), (0, 0), glow.filter(ImageFilter.GaussianBlur(40)))
        draw.rectangle(box, fill=(12, 16, 22))
        screen = (box[0] + 10, box[1] + 10, box[2] - 10, box[3] - 10)
        back.paste(_scan(screen[2] - screen[0], screen[3] - screen[1], rng), screen[:2])
        middle = (box[0] + box[2]) // 2
        draw.rectangle((middle - 40, desk_top - 40, middle + 40, desk_top), fill=(30, 36, 44))
    draw.rounded_rectangle((int(width * 0.4), desk_top + 60, int(width * 0.6), desk_top + 100),
                           8, fill=(34, 46, 62))  # keyboard
    # The doctor in the foreground, from behind: white coat over the shoulders, dark hair.
    draw.ellipse((-40, 820, 640, 1700), fill=(214, 226, 236))
    draw.rectangle((250, 760, 350, 860), fill=(150, 110, 90))
    draw.ellipse((185, 520, 415, 800), fill=(40, 30, 28))
    # Seeded grain (effect_noise would differ at every run), blended in at 4%.
    noise = Image.frombytes("L", (width, height), rng.randbytes(width * height)).convert("RGB")
    return Image.blend(back, noise, 0.04)


def _scan(width: int, height: int, rng: random.Random) -> Image.Image:
    """A brain scan on a screen: an axial slice in grey-blue with bright activations."""
    screen = Image.new("RGB", (width, height), (6, 10, 20))
    draw = ImageDraw.Draw(screen)
    cx, cy = width // 2, height // 2
    rx, ry = int(width * 0.36), int(height * 0.42)
    draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=(90, 120, 150))
    draw.ellipse((cx - rx + 14, cy - ry + 14, cx + rx - 14, cy + ry - 14), fill=(120, 150, 178))
    for _ in range(40):  # folds
        x, y = rng.randint(cx - rx + 20, cx + rx - 40), rng.randint(cy - ry + 20, cy + ry - 40)
        draw.arc((x, y, x + 40, y + 30), rng.randint(0, 180), rng.randint(180, 360),
                 fill=(70, 96, 124), width=3)
    draw.line((cx, cy - ry + 10, cx, cy + ry - 10), fill=(60, 80, 104), width=4)
    for _ in range(3):  # activations
        x, y = rng.randint(cx - rx // 2, cx + rx // 2), rng.randint(cy - ry // 2, cy + ry // 2)
        draw.ellipse((x - 18, y - 14, x + 18, y + 14), fill=(255, 170, 60))
        draw.ellipse((x - 8, y - 6, x + 8, y + 6), fill=(255, 240, 160))
    return screen.filter(ImageFilter.GaussianBlur(1.2))


def exif_bytes(orientation: int = 1, gps: bool = True) -> bytes:
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "CrierCam"  # Make
    exif[0x0110] = "Synthetic 1"  # Model
    exif[0x0132] = "2024:05:01 09:30:00"  # DateTime
    if gps:
        ifd = exif.get_ifd(GPS_IFD)
        ifd[1], ifd[2] = "N", (30.0, 26.0, 17.9)  # Tallahassee
        ifd[3], ifd[4] = "W", (84.0, 16.0, 50.5)
    return exif.tobytes()


def jpeg_with_metadata(upright: Image.Image, orientation: int = 6, quality: int = 88) -> bytes:
    """The picture stored turned, with an EXIF orientation that turns it back, GPS and XMP."""
    stored = {
        1: upright,
        3: upright.transpose(Image.Transpose.ROTATE_180),
        6: upright.transpose(Image.Transpose.ROTATE_90),
        8: upright.transpose(Image.Transpose.ROTATE_270),
    }[orientation]
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=quality, exif=exif_bytes(orientation), xmp=XMP)
    return out.getvalue()


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def busy(width: int = 1600, height: int = 1200, seed: int = 3) -> Image.Image:
    """A busy picture: every luminance from black to white, in stripes and colour noise."""
    return _busy(width, height, seed).copy()


# Uniform bytes shaped like Gaussian noise of sigma 120 around mid-grey, clipped (what
# effect_noise(size, 120) draws): mostly near black or white, the hardest to compress.
_WIDE = [max(0, min(255, round(128 + 120 * statistics.NormalDist().inv_cdf((u + 0.5) / 256))))
         for u in range(256)]


@functools.lru_cache(maxsize=4)
def _busy(width: int, height: int, seed: int) -> Image.Image:
    rng = random.Random(seed)
    # Seeded noise (Pillow's effect_noise draws from C's rand(), different at every run: a
    # test on it was flaky): every luminance, the same picture each time.
    image = Image.merge("RGB", [Image.frombytes("L", (width, height),
                                                rng.randbytes(width * height)).point(_WIDE)
                                for _ in range(3)])
    draw = ImageDraw.Draw(image)
    for x in range(0, width, 24):
        shade = rng.choice([(255, 255, 255), (0, 0, 0), (255, 255, 0), (0, 255, 255),
                            (255, 0, 0), (128, 128, 128)])
        draw.rectangle((x, 0, x + 11, height), fill=shade)
    return image


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions: what a decompression bomb looks like to a reader."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _linear(v: int) -> float:
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


_LINEAR = [_linear(v) for v in range(256)]


def exact_worst_contrast(region: Image.Image, text: tuple[int, int, int]) -> float:
    """WCAG contrast of the text colour against every distinct colour of the region, computed
    colour by colour in plain Python: an independent check of content.images.colour."""
    colours = region.convert("RGB").getcolors(region.width * region.height) or []
    y_text = luminance(text)
    lowest, highest = 1.0, 0.0
    for _, (r, g, b) in colours:
        y = 0.2126 * _LINEAR[r] + 0.7152 * _LINEAR[g] + 0.0722 * _LINEAR[b]
        lowest, highest = min(lowest, y), max(highest, y)
    return min((max(y, y_text) + 0.05) / (min(y, y_text) + 0.05) for y in (lowest, highest))


if __name__ == "__main__":
    target = Path(__file__).resolve().parents[2] / "examples" / "brain-scans.jpg"
    # Drawn at 2000 px and enlarged so a 4:5 crop still covers Instagram's 1080 x 1350.
    scene = lab_scene().resize((2400, 1600), Image.Resampling.LANCZOS)
    target.write_bytes(jpeg_with_metadata(scene, orientation=6, quality=82))
    print(f"wrote {target} ({target.stat().st_size:,} bytes)")
