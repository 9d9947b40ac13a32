"""The on-disk layout of built releases, shared by build, eval and leaderboard.

One folder (a Hugging Face dataset folder) holds every built version as a config::

    imagenet-g/README.md                                  dataset card: YAML configs, then text
    imagenet-g/<version>/<split>-00000-of-0000N.parquet   shards, image bytes embedded
    imagenet-g/<version>/manifest.json                    spec hash, lock, counts, sha256 per shard
    imagenet-g/audits/<version>/                          `imagenet-g audit`: audit.json, report.md, figures/

A version folder holds its shards and manifest and nothing else (``verify`` refuses anything unlisted), so the
audit of a version sits beside it, under ``audits/``.

Reading a version's spec hash needs only the manifest's JSON, not the release package's schema, so
evaluation and the leaderboard read it here without importing the build.
"""

from __future__ import annotations

import json
from pathlib import Path

from imagenet_g.errors import ReleaseIntegrityError

DEFAULT_DATASET_DIR = Path("imagenet-g")
DEFAULT_SWEEP_DIR = Path("sweeps")  # `imagenet-g sweep` writes sweeps/<release> unless told where
DEFAULT_RELEASE = "v1"  # the release evaluated, audited and counted when none is named
CARD_FILE = "README.md"
MANIFEST_FILE = "manifest.json"
VERSION_START = "<!-- version: {version} -->"  # opens a version's section of the card
VERSION_END = "<!-- /version -->"  # closes it
CARD_MARK = "<!-- imagenet-g dataset card -->"  # in every card a build writes: README.md is ours to rewrite
_AUDITS_DIR = "audits"


def audit_markers(version: str) -> tuple[str, str]:
    """The comments around a version's audit block in the card; the block sits inside the version's section and
    is carried over when the card is rewritten."""
    return f"<!-- imagenet-g audit {version}: start -->", f"<!-- imagenet-g audit {version}: end -->"


def audit_block(text: str, version: str) -> str | None:
    """The audit block of ``version`` in a card's text (markers included), or None."""
    start, end = audit_markers(version)
    i = text.find(start)
    j = text.find(end, i)
    return text[i:j + len(end)] if i >= 0 and j >= 0 else None


def _is_card(text: str) -> bool:
    """Whether a README.md's text is a dataset card imagenet-g wrote (cards written before ``CARD_MARK`` are known
    by their version sections)."""
    return CARD_MARK in text or VERSION_START.partition("{")[0] in text


def card_problem(path: Path) -> str | None:
    """None when ``path`` is a dataset card imagenet-g may rewrite; else what it is
    (``imagenet_g.outputs.check_output_file``)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    return None if _is_card(text) else "is not a dataset card imagenet-g wrote"


def audit_dir(dataset_dir: Path, version: str) -> Path:
    """``<dataset_dir>/audits/<version>``: where a version's audit goes, beside the release."""
    return Path(dataset_dir) / _AUDITS_DIR / version


def audited_versions(dataset_dir: Path, audit_file: str) -> tuple[str, ...]:
    """Versions with an audit (its ``audit_file``) under ``<dataset_dir>/audits``, sorted; empty when there is none."""
    audits = Path(dataset_dir) / _AUDITS_DIR
    if not audits.is_dir():
        return ()
    return tuple(sorted(d.name for d in audits.iterdir() if (d / audit_file).is_file()))


def _manifest_path(dataset_dir: Path, version: str) -> Path:
    """``<dataset_dir>/<version>/manifest.json``."""
    return Path(dataset_dir) / version / MANIFEST_FILE


def built_versions(dataset_dir: Path) -> tuple[str, ...]:
    """Versions with a manifest under ``dataset_dir`` (complete or not, readable or not: reading it says what is wrong),
    sorted; empty when there is no folder."""
    root = Path(dataset_dir)
    if not root.is_dir():
        return ()
    return tuple(sorted(d.name for d in root.iterdir() if (d / MANIFEST_FILE).exists()))


def read_spec_hash(dataset_dir: Path, version: str) -> str:
    """The spec hash a built version's manifest records."""
    path = _manifest_path(dataset_dir, version)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        spec_hash = data["spec_hash"]
    except FileNotFoundError:
        raise ReleaseIntegrityError(f"{path}: no such manifest", fix="build the release first") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseIntegrityError(
            f"{path}: unreadable release manifest ({type(exc).__name__})", fix="delete it and rebuild the release"
        ) from None
    if not isinstance(spec_hash, str):
        raise ReleaseIntegrityError(f"{path}: spec_hash is not a string", fix="delete it and rebuild the release")
    return spec_hash
