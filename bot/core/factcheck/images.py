"""Match a forwarded picture against the perceptual hashes of known hoax images.

A claims file may list ``image_hashes`` (hex pHash values of the pictures that spread it; only
hashes are stored, never the pictures). A forwarded image is hashed the same way and matches a
claim when the Hamming distance is small: resizing, recompression and a little cropping change a
perceptual hash by a few bits only.
"""

from __future__ import annotations

import io

import imagehash
from PIL import Image, UnidentifiedImageError

from bot.core.content import ContentStore
from bot.core.factcheck.content import Claim

#: Bits (of 64) two hashes may differ by and still be the same picture.
MAX_DISTANCE = 10
KEY = "factcheck_image_hashes"


def phash_hex(data: bytes) -> str | None:
    """The 64-bit perceptual hash of an image as 16 hex digits; None if it is not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return str(imagehash.phash(img.convert("RGB")))
    except (UnidentifiedImageError, OSError, ValueError):
        return None


def known_hashes(store: ContentStore) -> list[tuple[imagehash.ImageHash, str]]:
    """(hash, claim id) for every image hash in the claims library (cached per store)."""
    cached = store.data.get(KEY)
    if isinstance(cached, list):
        return cached
    found: list[tuple[imagehash.ImageHash, str]] = []
    for by_id in store.items.get("claims", {}).values():
        for claim in by_id.values():
            if isinstance(claim, Claim):
                found.extend((imagehash.hex_to_hash(h), claim.id) for h in claim.meta.image_hashes)
    store.data[KEY] = found
    return found


def match_image(store: ContentStore, data: bytes) -> str | None:
    """The id of the claim whose known image ``data`` is, or None."""
    digest = phash_hex(data)
    if digest is None:
        return None
    probe = imagehash.hex_to_hash(digest)
    best: tuple[int, str] | None = None
    for known, claim_id in known_hashes(store):
        distance = int(probe - known)
        if distance <= MAX_DISTANCE and (best is None or distance < best[0]):
            best = (distance, claim_id)
    return best[1] if best else None
