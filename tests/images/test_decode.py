"""Decoding: every way bytes can fail to be an image becomes a reason; any colour mode comes out RGB."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from imagenet_g.images import UnreadableImage, decode_rgb

from data_fixtures import bomb_png


def test_decode_turns_every_failure_into_a_reason():
    with pytest.raises(UnreadableImage, match="decompression bomb"):
        decode_rgb(bomb_png())
    with pytest.raises(UnreadableImage, match="UnidentifiedImageError"):
        decode_rgb(b"plain text, not an image")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(buffer, "JPEG")
    with pytest.raises(UnreadableImage, match="OSError"):
        decode_rgb(buffer.getvalue()[:300])  # truncated
    assert decode_rgb(buffer.getvalue()).mode == "RGB"
    buffer = io.BytesIO()
    Image.new("CMYK", (8, 8)).save(buffer, "JPEG")
    assert decode_rgb(buffer.getvalue()).mode == "RGB"
