"""File bytes -> RGB PIL image: the one decode path of every job that reads images (eval, audit, train).

Decoding is timm's (``ImageDataset``: ``Image.open(f).convert("RGB")``), so pixels equal validate.py's.
Every way a file can fail to be an image becomes ``UnreadableImage`` with a short reason that the
evaluation counts under ``skipped``: not an image, truncated, a decompression bomb (PIL refuses images
over twice ``Image.MAX_IMAGE_PIXELS``), a broken header.
"""

from __future__ import annotations

import io
import struct


class UnreadableImage(Exception):
    """A file that cannot be decoded as an image; ``reason`` is what the skipped count records."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_rgb(data: bytes):
    """Decode image bytes to an RGB PIL image; raise ``UnreadableImage`` for anything that is not one.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> from imagenet_g.images import decode_rgb
        >>> png = io.BytesIO()
        >>> Image.new("L", (4, 3)).save(png, "PNG")
        >>> decode_rgb(png.getvalue()).mode
        'RGB'
        >>> decode_rgb(b"not an image")
        Traceback (most recent call last):
        ...
        imagenet_g.images.decode.UnreadableImage: unreadable image (UnidentifiedImageError)
    """
    from PIL import Image

    errors = (OSError, ValueError, SyntaxError, EOFError, struct.error, Image.DecompressionBombError)
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.convert("RGB")
    except Image.DecompressionBombError:
        raise UnreadableImage("unreadable image (decompression bomb)") from None
    except errors as exc:
        raise UnreadableImage(f"unreadable image ({type(exc).__name__})") from None
