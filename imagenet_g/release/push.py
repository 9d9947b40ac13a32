"""``push_release``: upload a verified version and the card to a Hub dataset repo, tagged with the version."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imagenet_g.errors import ImagenetGError, ReleaseIntegrityError
from imagenet_g.layout import CARD_FILE, DEFAULT_DATASET_DIR
from imagenet_g.release.verify import verify_release


@dataclass(frozen=True)
class PushRequest:
    """Which built version to push where."""

    version: str
    repo_id: str
    dataset_dir: Path = DEFAULT_DATASET_DIR
    private: bool = False
    expected_spec_hash: str | None = None


@dataclass(frozen=True)
class PushReport:
    """Where a version was pushed."""

    version: str
    repo_id: str
    commit: str
    tag: str
    url: str


def push_release(request: PushRequest, api: Any = None) -> PushReport:
    """Verify, then upload the card and the version folder to a Hub dataset repo and tag the commit.

    ``api`` is a ``huggingface_hub.HfApi`` (injectable for tests); the default uses the saved token.
    """
    try:
        checked = verify_release(request.dataset_dir, request.version, request.expected_spec_hash)
    except ReleaseIntegrityError as exc:
        raise ReleaseIntegrityError(f"refusing to push: {exc}") from None
    if api is None:
        from huggingface_hub import HfApi, constants

        if constants.HF_HUB_OFFLINE:
            raise ImagenetGError("cannot push while HF_HUB_OFFLINE is set; unset it, then push again")
        api = HfApi()
    try:
        api.create_repo(request.repo_id, repo_type="dataset", private=request.private, exist_ok=True)
        commit = api.upload_folder(
            repo_id=request.repo_id,
            repo_type="dataset",
            folder_path=str(request.dataset_dir),
            allow_patterns=[CARD_FILE, f"{request.version}/*"],
            commit_message=f"Release {request.version} (spec {checked.spec_hash[:12]})",
        )
        api.create_tag(request.repo_id, repo_type="dataset", tag=request.version, revision=commit.oid)
    except Exception as exc:  # noqa: BLE001 -- Hub HTTP errors are OSErrors, but transport errors of its HTTP
        # client (no network, DNS) share no base class with them; every failure here is reported on one line
        first = f"{type(exc).__name__}: {str(exc).splitlines()[0]}" if str(exc) else type(exc).__name__
        raise ImagenetGError(
            f"push of {request.version} to {request.repo_id} failed: {first}; check `hf auth login`, the repo id, "
            f"and that tag {request.version} does not exist yet (a released version is immutable)"
        ) from None
    return PushReport(
        version=request.version,
        repo_id=request.repo_id,
        commit=commit.oid,
        tag=request.version,
        url=f"https://huggingface.co/datasets/{request.repo_id}/tree/{request.version}",
    )
