"""The columns of a release row and their ``datasets`` features (the card and the shards share them)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from imagenet_g.labels import unique_class_names

if TYPE_CHECKING:
    import datasets
    import pyarrow as pa

# Parquet key-value metadata naming the spec a shard was built from (read without loading the rows).
SPEC_HASH_KEY = b"imagenet_g.spec_hash"


@cache
def release_features() -> datasets.Features:
    """Features of one row: the image, its label, and the full provenance of how it was generated."""
    from datasets import ClassLabel, Features, Image, Value

    return Features(
        {
            "image": Image(),
            "label": ClassLabel(names=list(unique_class_names())),
            "wnid": Value("string"),
            "class_name": Value("string"),
            "image_index": Value("int32"),
            "prompt": Value("string"),
            "template_id": Value("int32"),
            "seed": Value("int64"),
            "steps": Value("int32"),
            "guidance": Value("float64"),
            "sampler": Value("string"),
            "width": Value("int32"),
            "height": Value("int32"),
            "strength": Value("float64"),
            "init_image": Value("string"),  # id of the real image it started from (images, labels+images)
            "init_image_sha256": Value("string"),
            "nsfw": Value("bool"),  # the safety checker's flag; null when the release does not run it
            "spec_hash": Value("string"),
        }
    )


def shard_schema(spec_hash: str) -> pa.Schema:
    """The arrow schema of a shard: the features (as ``datasets`` embeds them) plus the spec hash."""
    schema = release_features().arrow_schema
    return schema.with_metadata({**(schema.metadata or {}), SPEC_HASH_KEY: spec_hash.encode()})
