"""QR codes for tracked links: PNG and SVG bytes (qr_sheet.py: the printable PDF sheet of them).

Pure: bytes in, bytes out; writing files is the caller's business.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import ValidationError

if TYPE_CHECKING:
    from PIL import Image

# PIL (Pillow) is imported where a colour is read or a code drawn, as qrcode is: not by every
# `refscope` command, which imports this module for the options of `links`.

# qrcode.constants' ERROR_CORRECT_*: the levels' format bits (ISO/IEC 18004), spelled out so
# that the options of `refscope links` are built without importing qrcode.
ERROR_LEVELS = {"L": 1, "M": 0, "Q": 3, "H": 2}
LOGO_SHARE = 0.22  # logo width / code width: level H restores up to 30% of the modules
# WCAG's 3:1 for graphics; scanners read dark modules on a light ground, most not the reverse.
MIN_CONTRAST = 3.0
CONTRAST_RULE = (
    f"a QR code needs a foreground darker than its background, with a contrast ratio of at "
    f"least {MIN_CONTRAST:g}:1 (WCAG), to scan"
)
COLOUR_RULE = "give an opaque colour: a name, #rgb, #rrggbb, rgb(), hsl() or hsv()"
SCAN_CHECK_PX = (600, 1000)  # rendered-SVG widths a code is also read back at
QUIET_ZONE = 4  # modules of background a reader needs around a code (ISO/IEC 18004)
BOX_SIZES = (1, 100)  # --box-size: pixels per module, from a screen's to a print's
BORDERS = (0, 20)  # --border: the quiet zone, in modules
CHECK_BOX = 4  # pixels per module a code is read back at, at least
# ... and at most so many pixels wide: OpenCV finds no code in an image much over 2,400 px (a
# code of 100 px a module, for print), which a camera sees far smaller, as the same modules.
CHECK_MAX_PX = 2000


@dataclass(frozen=True)
class QrStyle:
    """How a code looks. A logo forces error correction H so the code still scans."""

    box_size: int = 10  # pixels per module in the PNG (and SVG user units)
    border: int = QUIET_ZONE  # quiet zone in modules; under 4, leave room around it
    error_correction: str = "M"
    foreground: str = "#000000"
    background: str = "#ffffff"
    logo: bytes | None = None  # PNG/JPEG bytes placed in the centre

    def checked(self) -> QrStyle:
        if self.error_correction not in ERROR_LEVELS:
            raise ValidationError(f"error correction must be one of {', '.join(ERROR_LEVELS)}")
        if not BOX_SIZES[0] <= self.box_size <= BOX_SIZES[1]:
            raise ValidationError("box size must be between {} and {} pixels".format(*BOX_SIZES))
        if not BORDERS[0] <= self.border <= BORDERS[1]:
            raise ValidationError("border must be between {} and {} modules".format(*BORDERS))
        fg, bg = _hex(self.foreground), _hex(self.background)
        _check_contrast(fg, bg)
        if self.logo is not None:
            _check_logo(self.logo)
        # Every output gets #rrggbb: PIL reads syntaxes (hsv(), ...) that SVG viewers do not.
        return dataclasses.replace(self, foreground=fg, background=bg)

    @property
    def level(self) -> int:
        return ERROR_LEVELS["H" if self.logo else self.error_correction]


_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")


def _hex(colour: str) -> str:
    """A colour as #rrggbb, from any syntax PIL reads; a translucent one is refused (each
    output would blend it with a different ground)."""
    # #rgb and #rrggbb (the defaults) as PIL reads them, without PIL: a link that draws no code
    # checks its style's colours too.
    if plain := _HEX.fullmatch(colour.strip().lower()):
        digits = plain[1] if len(plain[1]) == 6 else "".join(d * 2 for d in plain[1])
        return f"#{digits}"
    from PIL import ImageColor

    try:
        rgb = ImageColor.getrgb(colour.strip())
    except (ValueError, AttributeError) as exc:
        raise ValidationError(f"invalid colour {colour!r}: {COLOUR_RULE}") from exc
    if len(rgb) == 4 and rgb[3] != 255:
        raise ValidationError(f"invalid colour {colour!r}: {COLOUR_RULE}")
    return "#{:02x}{:02x}{:02x}".format(*rgb[:3])


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _check_contrast(foreground: str, background: str) -> None:
    dark, light = _luminance(foreground), _luminance(background)
    ratio = (max(dark, light) + 0.05) / (min(dark, light) + 0.05)
    if dark >= light or ratio < MIN_CONTRAST:
        raise ValidationError(
            f"foreground {foreground} on background {background} (contrast {ratio:.1f}:1): "
            f"{CONTRAST_RULE}"
        )


def matrix(url: str, style: QrStyle) -> list[list[bool]]:
    """The code's modules, quiet zone included, in the first mask pattern whose code scans.

    The encoder's usual choice (the lowest penalty score) comes first. Some codes that choice
    gives are not found by OpenCV's QRCodeDetector (about 1 in 70 of our refs, 1 in 12 of long
    ones): a finder-like run in the data draws its detector off. Any of the eight masks is
    valid for every reader, so when OpenCV is installed each code is read back, as a PNG and
    at the widths a rendered SVG is often drawn at, and the next mask is tried until all read
    the URL.
    """
    return _masked(url, style, _scanning_mask(url, style))


# Bytes the largest code (version 40) holds at each error-correction level (ISO/IEC 18004).
CAPACITY = {"L": 2953, "M": 2331, "Q": 1663, "H": 1273}


def _masked(url: str, style: QrStyle, mask: int | None) -> list[list[bool]]:
    import qrcode  # only drawing a code needs it, not every `refscope` command
    from qrcode.exceptions import DataOverflowError

    qr = qrcode.QRCode(
        error_correction=style.level, border=style.border, box_size=1, mask_pattern=mask
    )
    qr.add_data(url)
    try:
        qr.make(fit=True)
    except (ValueError, DataOverflowError):  # more than version 40 holds ("version 41")
        level = "H" if style.logo else style.error_correction
        raise ValidationError(
            f"the URL {url[:60]!r}… is {len(url.encode()):,} bytes: a QR code at error "
            f"correction {level}{' (a logo forces H)' if style.logo else ''} holds at most "
            f"{CAPACITY[level]:,}; shorten the redirect address, or choose a lower error "
            "correction"
        ) from None
    return qr.get_matrix()


@functools.lru_cache(maxsize=512)
def _scanning_mask(url: str, style: QrStyle) -> int | None:
    """The mask of the first code (the encoder's choice, then masks 0 to 7) that reads back as
    url; None (the encoder's choice) without OpenCV. A code no mask makes readable is refused.

    A code with a quiet zone under the standard's is read back on that much more of its
    background (where it is printed or placed must give it that), one of fewer pixels per
    module at CHECK_BOX (it is scaled up to be printed or shown), and one that would be wider
    than CHECK_MAX_PX at as many pixels per module as fit in it (its modules are the same).
    """
    read = _reader()
    if read is None:
        return None
    from PIL import Image, ImageOps

    extra = max(QUIET_ZONE - style.border, 0)
    tried: list[list[list[bool]]] = []
    for mask in (None, *range(8)):
        m = _masked(url, style, mask)
        if m in tried:
            continue
        tried.append(m)
        fits = max(CHECK_MAX_PX // (len(m) + 2 * extra), CHECK_BOX)
        looks = dataclasses.replace(style, box_size=min(max(style.box_size, CHECK_BOX), fits))
        margin = extra * looks.box_size
        img = ImageOps.expand(code_image(m, looks), margin, fill=style.background).convert("L")
        # The SVG drawn off the module grid (crispEdges: modules a pixel wider or narrower).
        drawn = [img.resize((px, px), Image.Resampling.NEAREST) for px in SCAN_CHECK_PX]
        if all(read(x) == url for x in (img, *drawn)):
            return mask
    # Fewer modules mend a dense code (a box size does not: it is read back at the same widths).
    side = len(tried[0]) - 2 * style.border
    level = "H" if style.logo else style.error_correction
    shown = url if len(url) <= 100 else f"{url[:60]}…"
    raise ValidationError(
        f"the QR code of {shown} does not scan: read back, no mask pattern gave the URL; it has "
        f"{side} modules a side ({len(url.encode()):,} bytes at error correction {level}"
        f"{', which a logo forces' if style.logo else ''}): a shorter ref or redirect address, "
        f"or a lower error correction{' (without the logo)' if style.logo else ''}, makes it "
        "less dense; a larger box size (--box-size) or more contrast usually mends a less dense one"
    )


@functools.cache
def _reader() -> Callable[[Image.Image], str] | None:
    """OpenCV's QR code reader (opencv-python-headless, a dependency), if it can be imported."""
    try:
        import cv2
        import numpy as np
    except ImportError:
        return None

    def read(img: Image.Image) -> str:
        text, _points, _straight = cv2.QRCodeDetector().detectAndDecode(np.asarray(img))
        return str(text)

    return read


@functools.lru_cache(maxsize=4)
def _check_logo(logo: bytes) -> None:
    """Refuse a logo that is no image, one cut short, or one of more pixels than Pillow opens
    without its decompression-bomb warning (a print-resolution export: Python's raw warning,
    then an image of gigabytes drawn at a few hundred pixels; over twice as many, refused by
    Pillow, taken for no image). The warning is caught where the logo is first opened. Once
    per logo: every code of a print checks its style (a refusal raises, and is not kept)."""
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.open(io.BytesIO(logo)).verify()
        # verify() reads no JPEG or GIF pixels: a file cut short (a download that stopped)
        # passed it, then failed as "image file is truncated" once drawn.
        Image.open(io.BytesIO(logo)).load()
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ValidationError(
            f"the logo has more than {Image.MAX_IMAGE_PIXELS:,} pixels: it is drawn at "
            f"{LOGO_SHARE:.0%} of the code's width, a few hundred pixels; scale it down"
        ) from exc
    except Exception as exc:  # PIL raises many types for a bad image
        raise ValidationError("the logo is not a readable image") from exc


def png_bytes(url: str, style: QrStyle | None = None) -> bytes:
    style = (style or QrStyle()).checked()
    img = code_image(matrix(url, style), style)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def code_image(m: list[list[bool]], style: QrStyle) -> Image.Image:
    """The code of matrix m drawn in style, its logo placed (the PNG, and the print sheet's)."""
    from PIL import Image, ImageColor

    n = len(m)
    small = Image.new("RGB", (n, n), ImageColor.getrgb(style.background))
    fg = ImageColor.getrgb(style.foreground)
    px = small.load()
    assert px is not None
    for y, row in enumerate(m):
        for x, dark in enumerate(row):
            if dark:
                px[x, y] = fg
    img = small.resize((n * style.box_size, n * style.box_size), Image.Resampling.NEAREST)
    if style.logo:
        # Scaled to the share, up as well as down, as the SVG draws it: a small logo (a 32 px
        # favicon) is the same size in the PNG, the print sheet and the SVG, whose read-back
        # check is made on this image.
        logo = _logo_at(style.logo, int(img.width * LOGO_SHARE))
        pos = ((img.width - logo.width) // 2, (img.height - logo.height) // 2)
        img.paste(logo, pos, logo)
    return img


XLINK = "http://www.w3.org/1999/xlink"
_ORIENTATION = 0x0112  # the EXIF tag a camera or phone turns its photo by


@functools.lru_cache(maxsize=4)
def _turned(logo: bytes) -> bool:
    """Whether the logo's EXIF says to turn or mirror it to show it (a phone photo); EXIF that
    cannot be read says nothing (viewers show such an image as stored)."""
    from PIL import Image

    try:
        return Image.open(io.BytesIO(logo)).getexif().get(_ORIENTATION, 1) not in (1, None)
    except Exception:  # PIL raises many types for broken EXIF
        return False


def _mime(logo: bytes) -> str | None:
    """image/png or image/jpeg, by the logo's signature; None for another format."""
    if logo.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return "image/jpeg" if logo.startswith(b"\xff\xd8\xff") else None


# A logo is decoded, turned and scaled once for every code of a print that draws it (its PNG,
# read-backs, SVG and cell of the sheet): a 3,000 px logo made 30 flyers take 80 s, not 14.
# Their images are only read (pasted, measured, saved), never changed; one logo's whole image
# is kept (a print has one), its scaled copies are small.
@functools.lru_cache(maxsize=1)
def _logo_image(logo: bytes) -> Image.Image:
    """The logo as every viewer shows it, in RGBA: turned as its EXIF orientation says (browsers
    and SVG renderers do so; drawn as stored, a phone photo lay on its side in the PNG and the
    sheet)."""
    from PIL import Image, ImageOps

    image = Image.open(io.BytesIO(logo))
    return (ImageOps.exif_transpose(image) if _turned(logo) else image).convert("RGBA")


@functools.lru_cache(maxsize=16)
def _logo_at(logo: bytes, side: int) -> Image.Image:
    """The logo scaled, up or down, to fit a square of side pixels."""
    from PIL import ImageOps

    return ImageOps.contain(_logo_image(logo), (side, side))


def svg_bytes(url: str, style: QrStyle | None = None) -> bytes:
    style = (style or QrStyle()).checked()
    m = matrix(url, style)
    n, b = len(m), style.box_size
    path = "".join(
        f"M{x * b},{y * b}h{b}v{b}h-{b}z" for y, row in enumerate(m) for x, dark in enumerate(row)
        if dark
    )  # fmt: skip
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{n * b}" height="{n * b}" '
        f'viewBox="0 0 {n * b} {n * b}" shape-rendering="crispEdges">',
        f'<rect width="100%" height="100%" fill="{style.background}"/>',
        f'<path d="{path}" fill="{style.foreground}"/>',
    ]
    if style.logo:
        logo, embedded = _logo_image(style.logo), style.logo
        # Embedded as it is when a PNG or JPEG (every SVG reader shows those) that needs no turn;
        # else as a PNG of what the PNG code shows: a GIF, WebP, BMP or TIFF logo was labelled
        # image/jpeg, and a reader without that format (TIFF in browsers) drew no logo.
        if _turned(style.logo) or _mime(style.logo) is None:
            buf = io.BytesIO()
            logo.save(buf, format="PNG")  # RGBA: a CMYK TIFF too
            embedded = buf.getvalue()
        side = int(n * b * LOGO_SHARE)
        scale = side / max(logo.width, logo.height)
        w, h = logo.width * scale, logo.height * scale
        data = base64.b64encode(embedded).decode()
        mime = _mime(embedded)
        # xlink:href, as SVG 1.1 has it: readers of SVG 1.1 (image viewers on librsvg, Inkscape
        # before 1.0, print shops' tools) ignore SVG 2's bare href and drew no logo; browsers
        # and SVG 2 renderers read xlink:href too.
        parts[1] = parts[1].replace(" width=", f' xmlns:xlink="{XLINK}" width=', 1)
        parts.append(
            f'<image x="{(n * b - w) / 2:.1f}" y="{(n * b - h) / 2:.1f}" width="{w:.1f}" '
            f'height="{h:.1f}" xlink:href="data:{mime};base64,{data}"/>'
        )
    parts.append("</svg>")
    return "\n".join(parts).encode()
