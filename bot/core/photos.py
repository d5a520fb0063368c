"""Photos from users: re-encoded from their pixels only, so no metadata (EXIF, GPS) survives."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

#: Refuse images larger than this many pixels (decompression bombs) and inputs over this size.
MAX_PIXELS = 40_000_000
MAX_BYTES = 10 * 1024 * 1024
#: Longest side after re-encoding: enough to read a banknote or a flyer, small to store.
MAX_SIDE = 2048


class BadPhoto(ValueError):
    """The bytes are not a photo we can read."""


def strip_metadata(data: bytes) -> bytes:
    """A JPEG holding only the picture's pixels: no EXIF, GPS, XMP, ICC or comments.

    The orientation tag is applied to the pixels first, so the photo still shows upright.
    """
    if len(data) > MAX_BYTES:
        raise BadPhoto("photo too large")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_PIXELS:
                    raise BadPhoto("too many pixels")
                upright = ImageOps.exif_transpose(img).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombWarning) as exc:
        raise BadPhoto(str(exc)) from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    # A brand-new image from the raw pixels carries no info dict at all.
    clean = Image.frombytes("RGB", upright.size, upright.tobytes())
    out = io.BytesIO()
    clean.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()
