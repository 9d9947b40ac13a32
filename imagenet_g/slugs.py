"""The one rule that turns a model id into a file name (results files and leaderboard submissions alike).

A slug is lowercase ASCII (``a-z 0-9 . _ -``), at most `MAX_LENGTH` characters, and distinct for distinct
ids, also on case-insensitive file systems: an id that is already such a name is its own slug
(``resnet50``); any other id (upper case, ``/``, ``:``, non-ASCII, too long) gets a readable prefix plus
the first `_HASH_CHARS` hex digits of the sha256 of the exact id, so ``mypkg.models:build`` and
``mypkg.models:Build`` land in different files.
"""

from __future__ import annotations

import hashlib
import re

MAX_LENGTH = 96  # well under the 255-byte file-name limit, with room for suffixes such as '.imagenet-g.parquet'
_HASH_CHARS = 12  # 48 bits: a clash between two ids of one board is not a practical concern
_PLAIN = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9_-])?")
_UNSAFE = re.compile(r"[^a-z0-9._-]+")
# names Windows refuses as files, whatever the extension
_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))})


def slug(model_id: str) -> str:
    """The file stem for ``model_id``: 'resnet50' -> 'resnet50', 'open_clip:ViT-B-32/openai' ->
    'open_clip-vit-b-32-openai-<12 hex>'."""
    if _PLAIN.fullmatch(model_id) and len(model_id) <= MAX_LENGTH and model_id.split(".")[0] not in _RESERVED:
        return model_id
    digest = hashlib.sha256(model_id.encode("utf-8", "surrogatepass")).hexdigest()[:_HASH_CHARS]
    readable = _UNSAFE.sub("-", model_id.lower()).strip("-.")[: MAX_LENGTH - _HASH_CHARS - 1].rstrip("-.")
    return f"{readable}-{digest}" if readable else f"model-{digest}"
