"""One sweep: a model set x a release and the shift sets -> one results file per model, records, the summary.

Every executor runs the same unit of work (``score.score_group``) on groups of models cut from the whole set, and
writes into the same folder, so the files are the same whichever runs them. A rerun of the same request scores
nothing that is recorded: complete models are kept, failed ones too unless ``retry_failed``, and a model cut
short resumes at the dataset its results file reached (eval's resume). ``force`` rescores every model.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.benchmarks import check_variant, expand_names
from imagenet_g.devices import pick_device
from imagenet_g.errors import ImagenetGError
from imagenet_g.job_array import Share
from imagenet_g.sweep.folder import ModelRecord, answers, open_folder, read_records, results_path
from imagenet_g.sweep.model_sets import ModelEntry, resolve_models
from imagenet_g.sweep.plan import Group, asked, check_entries, plan_groups
from imagenet_g.sweep.request import SweepRequest
from imagenet_g.sweep.score import GroupTask, score_group
from imagenet_g.sweep.summary import Summary, write_summary

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did: the models it scored now, kept from before, failed (now or before), could not list."""

    out_dir: Path
    entries: tuple[ModelEntry, ...]
    scored: tuple[str, ...]  # scored by this run
    kept: tuple[str, ...]  # complete from an earlier run
    failed: dict[str, str]  # model -> reason (this run's or a recorded one)
    unavailable: dict[str, str]  # model -> reason, as its set lists it
    pending: tuple[str, ...]  # another job's share, not yet recorded
    summary: Summary

    @property
    def succeeded(self) -> bool:
        """Every model this run answers for is scored (unavailable ones aside)."""
        return not self.failed and not self.pending


def _entries(models: object) -> tuple[ModelEntry, ...]:
    if isinstance(models, (str, Path)):
        return resolve_models(models)
    entries = tuple(models)  # type: ignore[arg-type]
    if not entries or not all(isinstance(e, ModelEntry) for e in entries):
        raise ImagenetGError("models must be a model set's name, a model file, or ModelEntry values",
                             "give {models} as one of these")
    return entries


def _check(request: SweepRequest) -> Share | None:
    """Refuse option combinations that cannot run, before anything is read or written."""
    if request.datasets is not None:
        expand_names(request.datasets)
    check_variant(request.v2_variant)
    pick_device(request.device)
    if request.executor != "ray" and (request.address is not None or request.gpus_per_task is not None):
        raise ImagenetGError("an address and GPUs per task apply to the ray executor", "set {executor=ray}")
    if (request.job_index is None) != (request.num_jobs is None):
        raise ImagenetGError("a job array needs both the job's index and the number of jobs",
                             "give {job_index} and {num_jobs} together")
    if request.job_index is None:
        return None
    if request.executor == "ray":
        raise ImagenetGError("a job array runs each job's share locally; Ray schedules the whole sweep itself",
                             "use {executor=local} with {job_index}, or leave the job array out with Ray")
    return Share(request.job_index, request.num_jobs)


def _todo(request: SweepRequest, group: Group, records: dict[str, ModelRecord]) -> tuple[ModelEntry, ...]:
    """The group's models this run scores."""
    if request.force:
        return group.entries
    todo = []
    for entry in group.entries:
        record = records.get(entry.id)
        if not answers(record, asked(entry, request)):
            todo.append(entry)
        elif record.status == "failed" and request.retry_failed:
            todo.append(entry)
        elif record.status == "scored" and not results_path(request.out_dir, entry.id).is_file():
            todo.append(entry)  # its results file was removed since
    return tuple(todo)


def _device_threads(request: SweepRequest) -> tuple[str, int]:
    import torch

    return pick_device(request.device), torch.get_num_threads()


def run_sweep(request: SweepRequest, progress: bool = False) -> SweepReport:
    """Score every model of ``request.models`` not already recorded (see the module docstring); write the summary."""
    share = _check(request)
    entries = _entries(request.models)
    check_entries(entries)
    groups = plan_groups(entries, request.group_size)
    if share is not None:
        share.check(len(groups), "model groups")
        groups = share.take(groups)
    open_folder(request.out_dir, request.release)
    ids = [e.id for e in entries]
    before = read_records(request.out_dir, ids)
    device, threads = _device_threads(request)
    tasks = [GroupTask(request, todo, device, threads) for g in groups if (todo := _todo(request, g, before))]
    _log.info("sweep of %d models in %d groups: %d groups to score", sum(len(g.entries) for g in groups),
              len(groups), len(tasks))
    scored: list[str] = []
    for records in _execute(request, tasks, progress):
        scored += [r.id for r in records if r.status == "scored"]
    summary = write_summary(request.out_dir, entries, request.release)
    return _report(request, entries, groups, scored, summary)


def _execute(request: SweepRequest, tasks: Sequence[GroupTask], progress: bool) -> Iterator[list[ModelRecord]]:
    if request.executor == "ray":
        from imagenet_g.sweep.ray_run import run_on_ray

        yield from run_on_ray(tasks, request.address, request.gpus_per_task)
        return
    for k, task in enumerate(tasks, start=1):
        _log.info("group %d of %d: %s", k, len(tasks), ", ".join(e.id for e in task.entries))
        yield score_group(task, progress)


def _report(request: SweepRequest, entries: tuple[ModelEntry, ...], groups: Sequence[Group], scored: list[str],
            summary: Summary) -> SweepReport:
    mine = {e.id for g in groups for e in g.entries}
    records = read_records(request.out_dir, sorted(mine))
    failed = {i: r.reason or "" for i, r in records.items() if r.status == "failed"}
    done = {i for i, r in records.items() if r.status == "scored"}
    return SweepReport(
        out_dir=request.out_dir, entries=entries, scored=tuple(scored),
        kept=tuple(e.id for e in entries if e.id in done and e.id not in scored),
        failed={e.id: failed[e.id] for e in entries if e.id in failed},
        unavailable={e.id: e.reason for e in entries if not e.available},
        pending=tuple(e.id for e in entries if e.id in mine and e.id not in done and e.id not in failed),
        summary=summary,
    )
