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

from imagenet_g.claims import claimed
from imagenet_g.devices import pick_device
from imagenet_g.sweep.folder import ModelRecord, answers, claim_target, open_folder, read_records, results_path
from imagenet_g.sweep.model_sets import ModelEntry
from imagenet_g.sweep.plan import Group, asked, plan_groups
from imagenet_g.sweep.request import SweepRequest, check_sweep_request
from imagenet_g.sweep.score import GroupTask, score_group
from imagenet_g.sweep.selection import sweep_models
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
    """Score every model of ``request.models`` not already recorded (see the module docstring); write the summary.

    Every argument is checked first (``check_sweep_request``). While it runs, the sweep holds the claim on its folder
    (a job of an array, on its share of it), so that the same sweep started twice is refused, not run twice."""
    entries = sweep_models(request.models, request.include, request.exclude, request.max_params,
                           check_sweep_request(request))
    groups = plan_groups(entries, request.group_size)
    share = request.share
    if share is not None:
        share.check(len(groups), "model groups")
        groups = share.take(groups)
    with claimed(claim_target(request.out_dir, share), f"sweep folder {request.out_dir}"):
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
