"""An in-memory Hub dataset repo standing in for ``huggingface_hub.HfApi`` in push tests (no network here)."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path


class ConnectError(Exception):
    """Like the Hub client's transport errors: not an OSError."""


@dataclass
class Commit:
    oid: str


@dataclass
class FakeHub:
    """Files, commits and tags of one repo; records every call; ``fail_on`` makes that call fail."""

    scratch: Path
    fail_on: str | None = None
    files: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    calls: list[tuple[str, dict]] = field(default_factory=list)
    commits: int = 0

    def _record(self, name: str, kwargs: dict) -> None:
        self.calls.append((name, kwargs))
        if name == self.fail_on == "create_tag":
            raise OSError("409 Client Error: Conflict (tag already exists)")
        if name == self.fail_on:
            raise ConnectError("[Errno -2] Name or service not known")

    def _commit(self, added: dict[str, bytes]) -> Commit:
        self.files.update(added)
        self.commits += 1
        return Commit(oid=f"{self.commits:040x}")

    def create_repo(self, repo_id, **kwargs):
        self._record("create_repo", {"repo_id": repo_id, **kwargs})

    def list_repo_files(self, repo_id, **kwargs):
        self._record("list_repo_files", {"repo_id": repo_id, **kwargs})
        return sorted(self.files)

    def hf_hub_download(self, repo_id, filename, **kwargs):
        self._record("hf_hub_download", {"repo_id": repo_id, "filename": filename, **kwargs})
        path = self.scratch / f"download-{len(self.calls)}" / filename
        path.parent.mkdir(parents=True)
        path.write_bytes(self.files[filename])
        return str(path)

    def create_commit(self, **kwargs):
        self._record("create_commit", kwargs)
        added = {}
        for op in kwargs["operations"]:
            with op.as_file() as handle:
                added[op.path_in_repo] = handle.read()
        return self._commit(added)

    def upload_large_folder(self, **kwargs):
        self._record("upload_large_folder", kwargs)
        root = Path(kwargs["folder_path"])
        found = {p.relative_to(root).as_posix(): p for p in root.rglob("*") if p.is_file()}
        added = {name: p.read_bytes() for name, p in found.items()
                 if any(fnmatch.fnmatch(name, pattern) for pattern in kwargs["allow_patterns"])
                 and not any(fnmatch.fnmatch(name, pattern) for pattern in kwargs.get("ignore_patterns") or ())}
        self._commit(added)

    def upload_file(self, **kwargs):
        self._record("upload_file", kwargs)
        return self._commit({kwargs["path_in_repo"]: kwargs["path_or_fileobj"]})

    def create_tag(self, repo_id, **kwargs):
        self._record("create_tag", {"repo_id": repo_id, **kwargs})
        self.tags[kwargs["tag"]] = kwargs["revision"]

    def materialize(self, folder: Path) -> Path:
        """Write the repo's files into ``folder`` (what a clone of the repo would hold)."""
        for name, data in self.files.items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)
        return folder
