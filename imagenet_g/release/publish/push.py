"""``push_release``: upload a verified version, its audit (if any) and the card to a Hub dataset repo, tagged with
the version.

The card uploaded is the repo's own card with this version's config and section added (or replaced), so pushing
a version from a folder that holds only that version keeps every other version's config on the Hub. Releases
larger than ``_RESUMABLE_BYTES`` go up with ``upload_large_folder`` (resumable: rerun push after an interruption),
smaller ones in one commit together with the card.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagenet_g.errors import ArgumentError, ImagenetGError, ReleaseIntegrityError
from imagenet_g.layout import CARD_FILE, DEFAULT_DATASET_DIR, audit_dir
from imagenet_g.release.publish.card import render_card
from imagenet_g.release.publish.verify import verify_release
from imagenet_g.release.store import read_manifest

_RESUMABLE_BYTES = 2 * 2**30  # above this, upload resumably (many commits) instead of in one commit


@dataclass(frozen=True)
class PushRequest:
    """Which built version to push where."""

    version: str
    repo_id: str
    dataset_dir: Path = DEFAULT_DATASET_DIR
    private: bool = False
    expected_spec_hash: str | None = None
    resumable: bool | None = None  # None: resumable upload when the version is larger than _RESUMABLE_BYTES


@dataclass(frozen=True)
class PushReport:
    """Where a version was pushed."""

    version: str
    repo_id: str
    commit: str
    tag: str
    url: str
    resumable: bool = False


def _hub_card(api: Any, repo_id: str) -> str | None:
    """The repo's current README.md, or None when it has none."""
    if CARD_FILE not in api.list_repo_files(repo_id, repo_type="dataset"):
        return None
    return Path(api.hf_hub_download(repo_id, CARD_FILE, repo_type="dataset")).read_text(encoding="utf-8")


def _audit_files(folder: Path) -> list[Path]:
    """The files of a version's audit (``imagenet-g audit``), which the card's audit section links to; hidden ones
    (claims, temp files) left out."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def _upload(api: Any, request: PushRequest, card: bytes, message: str, resumable: bool) -> str:
    """Upload the version's files and the card; returns the commit holding both."""
    from huggingface_hub import CommitOperationAdd

    version_dir = Path(request.dataset_dir) / request.version
    audit = audit_dir(Path(""), request.version).as_posix()
    if resumable:
        api.upload_large_folder(
            repo_id=request.repo_id, repo_type="dataset", folder_path=str(request.dataset_dir),
            allow_patterns=[f"{request.version}/*", f"{audit}/*"],
            ignore_patterns=[f"{request.version}/.*", f"{audit}/.*", f"{audit}/**/.*"],
        )
        return api.upload_file(
            path_or_fileobj=card, path_in_repo=CARD_FILE, repo_id=request.repo_id, repo_type="dataset",
            commit_message=message,
        ).oid
    # hidden files are builds' claims and temp files (integrity.unlisted_entries), never part of the release
    files = sorted(p for p in version_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    operations = [CommitOperationAdd(f"{request.version}/{p.name}", str(p)) for p in files]
    operations += [CommitOperationAdd(p.relative_to(request.dataset_dir).as_posix(), str(p))
                   for p in _audit_files(Path(request.dataset_dir) / audit)]
    operations.append(CommitOperationAdd(CARD_FILE, card))
    return api.create_commit(
        repo_id=request.repo_id, repo_type="dataset", operations=operations, commit_message=message
    ).oid


def _hub_failure(request: PushRequest, exc: Exception) -> ImagenetGError:
    """One line for any Hub failure: HTTP errors are OSErrors, but transport errors of the Hub's HTTP client
    (no network, DNS) share no base class with them."""
    first = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if str(exc) else type(exc).__name__
    return ImagenetGError(
        f"push of {request.version} to {request.repo_id} failed: {first}; check `hf auth login`, the repo id, "
        f"and that tag {request.version} does not exist yet (a released version is immutable); a resumable "
        "upload continues where it stopped when push is run again"
    )


def check_push_request(request: PushRequest) -> PushRequest:
    """What can be checked before reading a shard: the repo id, by the Hub client's own rule (its message is
    written for its API, so the line says the rule). Returns the request."""
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(request.repo_id)
    except HFValidationError:
        raise ArgumentError(
            f"{request.repo_id!r} is not a Hub repo id",
            "set {repo_id} to NAME or ORG/NAME of letters, digits, '-', '_' and '.' (at most 96, not starting or "
            "ending with '-' or '.'), e.g. my-org/imagenet-g") from None
    return request


def push_release(request: PushRequest, api: Any = None) -> PushReport:
    """Verify, then upload the card and the version folder to a Hub dataset repo and tag the commit.

    ``api`` is a ``huggingface_hub.HfApi`` (injectable for tests); the default uses the saved token.
    """
    check_push_request(request)
    try:
        checked = verify_release(request.dataset_dir, request.version, request.expected_spec_hash)
    except ReleaseIntegrityError as exc:
        raise ReleaseIntegrityError(f"refusing to push: {exc}") from None
    if api is None:
        from huggingface_hub import HfApi, constants

        if constants.HF_HUB_OFFLINE:
            raise ImagenetGError("cannot push while HF_HUB_OFFLINE is set; unset it, then push again")
        api = HfApi()
    manifest = read_manifest(Path(request.dataset_dir) / request.version)  # verified above: present, complete
    size = sum(s.num_bytes for split in manifest.splits.values() for s in split.shards)
    resumable = request.resumable if request.resumable is not None else size > _RESUMABLE_BYTES
    message = f"Release {request.version} (spec {checked.spec_hash[:12]})"
    try:
        api.create_repo(request.repo_id, repo_type="dataset", private=request.private, exist_ok=True)
        existing = _hub_card(api, request.repo_id)
    except Exception as exc:  # noqa: BLE001 -- see _hub_failure
        raise _hub_failure(request, exc) from None
    card = render_card(request.dataset_dir, [manifest], existing).encode("utf-8")
    try:
        commit = _upload(api, request, card, message, resumable)
        api.create_tag(request.repo_id, repo_type="dataset", tag=request.version, revision=commit)
    except Exception as exc:  # noqa: BLE001 -- see _hub_failure
        raise _hub_failure(request, exc) from None
    return PushReport(
        version=request.version,
        repo_id=request.repo_id,
        commit=commit,
        tag=request.version,
        url=f"https://huggingface.co/datasets/{request.repo_id}/tree/{request.version}",
        resumable=resumable,
    )
