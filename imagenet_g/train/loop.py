"""``train``: recipe + data mix -> timm model, optimizer, scheduler, loss -> epochs -> checkpoint + record.

One process, or one per GPU under torchrun (DistributedDataParallel; rank 0 writes checkpoints and the record).
The same command resumes from ``last.safetensors`` after a kill, to the same final weights (bit-exact on CPU).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch

from imagenet_g.claims import claimed
from imagenet_g.devices import pick_device
from imagenet_g.environment import environment
from imagenet_g.errors import OutputError, TrainingError
from imagenet_g.files import sha256_file
from imagenet_g.images import interruptible
from imagenet_g.progress import progress_bar
from imagenet_g.train.checkpoint import FINAL, LAST, Position, load_training_state, save_training_state, save_weights
from imagenet_g.train.distributed import World, all_sum, barrier, join_world, leave_world
from imagenet_g.train.loader import REPLACE_LIMIT, make_loader, train_size
from imagenet_g.train.mix import Mix, load_mix
from imagenet_g.train.model import build_model
from imagenet_g.train.optim import build_optimizer
from imagenet_g.train.recipe import Recipe
from imagenet_g.train.record import (
    EpochMetrics,
    TrainingRecord,
    fingerprint,
    fingerprint_differences,
    read_record,
    write_record,
)
from imagenet_g.train.request import TrainRequest, check_train_request

log = logging.getLogger(__name__)
ENVIRONMENT_PACKAGES = ("torch", "torchvision", "timm", "numpy", "pillow", "datasets", "safetensors")


@dataclass(frozen=True)
class TrainResult:
    """A finished run."""

    run_dir: Path
    weights: Path
    record: TrainingRecord
    resumed_from_step: int
    is_main: bool = True  # rank 0 (the process that wrote the files)


def _device(requested: str, world: World) -> torch.device:
    """The device of this process: under torchrun, the GPU of its local rank."""
    device = torch.device(pick_device(requested))
    if device.type == "cuda":
        return torch.device("cuda", world.local_rank if world.size > 1 else (device.index or 0))
    return device


def make_scheduler(optimizer, recipe: Recipe, lr: float, steps_per_epoch: int):
    """timm's per-step scheduler: linear warm-up from warmup_lr_factor x lr, then linear (poly, power 1) or
    cosine decay to 0 at the last step of the last epoch."""
    from timm.scheduler import create_scheduler_v2

    s = recipe.schedule
    scheduler, _ = create_scheduler_v2(
        optimizer, sched="poly" if s.decay == "linear" else "cosine", num_epochs=s.epochs - s.warmup_epochs,
        decay_rate=1.0, min_lr=0.0, warmup_lr=s.warmup_lr_factor * lr, warmup_epochs=s.warmup_epochs,
        warmup_prefix=True, step_on_epochs=False, updates_per_epoch=steps_per_epoch,
    )
    return scheduler


def _criterion(recipe: Recipe):
    from timm.loss import LabelSmoothingCrossEntropy

    smoothing = recipe.loss.label_smoothing
    return LabelSmoothingCrossEntropy(smoothing) if smoothing else torch.nn.CrossEntropyLoss()


def _check_run_dir(out: Path, recipe: Recipe, mix: Mix) -> TrainingRecord | None:
    """The run folder's record, if any, when it holds a run of what decides the weights here (else one error naming
    each setting that differs, with both values)."""
    existing = read_record(out)
    if existing is not None:
        differences = fingerprint_differences(existing, recipe, mix.record)
        if differences:
            raise OutputError(f"{out} holds a run trained otherwise ({'; '.join(differences)})",
                              fix="set {out} to a new folder, or give the run's values to resume it")
    return existing


def _base_record(request: TrainRequest, recipe: Recipe, mix: Mix, world: World, device, steps: int):
    """A new run's record. Its fingerprint is taken here only: a resume keeps it, `_check_run_dir` having found what
    it covers unchanged."""
    return TrainingRecord(
        recipe_source=request.recipe, recipe=recipe, mix=mix.record, category=mix.record.category,
        fingerprint=fingerprint(recipe, mix.record),
        world_size=world.size, global_batch=recipe.data.batch_size, lr=recipe.lr_for(recipe.data.batch_size),
        steps_per_epoch=steps, device=device.type,
        environment=environment(str(device), ENVIRONMENT_PACKAGES), created=datetime.now(timezone.utc),
    )


def _plan(recipe: Recipe, mix: Mix, world: World) -> tuple[int, int]:
    batch = recipe.data.batch_size
    if batch % world.size:
        raise TrainingError(f"global batch {batch} does not split evenly over {world.size} processes",
                            fix="set the recipe's data.batch_size to a multiple of the process count")
    steps = len(mix) // batch
    if steps == 0:
        raise TrainingError(f"the data mix has {len(mix)} images, fewer than one global batch of {batch}",
                            fix="lower the recipe's data.batch_size, or add data")
    return batch // world.size, steps


def _oom(batch: int) -> TrainingError:
    return TrainingError(
        f"out of GPU memory at {batch} images per GPU",
        fix="lower the recipe's data.batch_size (the learning rate scales with it), or use more GPUs",
    )


def train(request: TrainRequest, progress: bool = True) -> TrainResult:
    """Train (or resume) a model as the recipe says on the requested mix; write weights and the record.

    The run folder is new, empty or this run's (its training record); anything else is refused before any work.
    """
    recipe = check_train_request(request)  # the run folder's kind included
    mix = load_mix(request.real, request.generated, request.dataset_dir, request.mix, recipe.classes)
    wants_cuda = request.device.startswith("cuda") or (request.device == "auto" and torch.cuda.is_available())
    world = join_world(wants_cuda)
    try:
        if not world.is_main:  # rank 0 holds the run folder for every process of the run
            return _run(request, recipe, mix, world, progress)
        with claimed(Path(request.out), f"run folder {request.out}"):
            return _run(request, recipe, mix, world, progress)
    finally:
        leave_world(world)


@dataclass
class _Parts:
    """What one process trains with: the network (``net``: DDP-wrapped under torchrun) and its optimisation."""

    model: torch.nn.Module
    net: torch.nn.Module
    optimizer: Any
    scheduler: Any
    scaler: Any
    ema: Any
    criterion: Any
    device: torch.device
    memory_format: torch.memory_format
    use_amp: bool

    def step(self, images: torch.Tensor, targets: torch.Tensor, step: int, local_batch: int) -> torch.Tensor:
        """One optimizer step on a local batch; returns the (detached) loss; ``step`` counts from 1."""
        images = images.to(self.device, non_blocking=True).contiguous(memory_format=self.memory_format)
        targets = targets.to(self.device, non_blocking=True)
        try:
            with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.use_amp):
                loss = self.criterion(self.net(images), targets)
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
        except torch.OutOfMemoryError:
            raise _oom(local_batch) from None
        self.scheduler.step_update(step)
        if self.ema is not None:
            self.ema.update(self.model, step=step)
        return loss.detach()

    def save(self, path: Path, position: Position) -> None:
        save_training_state(path, self.model, self.optimizer, self.scheduler, self.scaler, self.ema, position)

    def final_weights(self) -> dict[str, torch.Tensor]:
        return (self.ema.module if self.ema is not None else self.model).state_dict()


def _build(recipe: Recipe, num_classes: int, device: torch.device, steps: int, world: World) -> _Parts:
    """Model (seeded init), optimizer, scheduler, loss, grad scaler and EMA as the recipe says."""
    torch.manual_seed(recipe.seed)
    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format
    model = build_model(recipe.model, num_classes).to(device).to(memory_format=memory_format)
    lr = recipe.lr_for(recipe.data.batch_size)
    optimizer = build_optimizer(model, recipe.optimizer, lr)
    use_amp = recipe.amp and device.type == "cuda"
    ema = None
    if recipe.ema_decay:
        from timm.utils import ModelEmaV3

        ema = ModelEmaV3(model, decay=recipe.ema_decay)
    net = model
    if world.size > 1:
        from torch.nn.parallel import DistributedDataParallel

        net = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    return _Parts(model, net, optimizer, make_scheduler(optimizer, recipe, lr, steps),
                  torch.amp.GradScaler(device.type, enabled=use_amp), ema, _criterion(recipe), device, memory_format,
                  use_amp)


def _epoch(parts: _Parts, loader, position: Position, recipe: Recipe, world: World, steps: int, out: Path,
           progress: bool) -> EpochMetrics:
    """Run the rest of ``position.epoch`` (from ``position.batch``), checkpointing as the recipe says."""
    batch, local_batch = recipe.data.batch_size, recipe.data.batch_size // world.size
    epoch, epochs = position.epoch, recipe.schedule.epochs
    loss_sum = torch.tensor(position.loss_sum, dtype=torch.float64, device=parts.device)
    started = time.perf_counter() - position.seconds
    parts.net.train()
    with progress_bar(f"epoch {epoch + 1}/{epochs}", steps * batch, progress and world.is_main) as advance:
        advance(position.batch * batch)
        for images, targets, skipped in interruptible(loader):
            if images is None:
                raise TrainingError(f"{REPLACE_LIMIT} images in a row of the data mix cannot be read",
                                    fix="check the files of {real} and {generated}: eval and `imagenet-g data` count "
                                    "unreadable images too")
            position.skipped += skipped
            position.step += 1
            position.batch += 1
            loss_sum += parts.step(images, targets, position.step, local_batch).double() * len(targets)
            position.samples += len(targets)
            advance(len(targets) * world.size)
            if recipe.checkpoint_every and position.step % recipe.checkpoint_every == 0 and position.batch < steps:
                position.seconds = time.perf_counter() - started
                position.loss_sum = float(loss_sum.item())
                _checkpoint(parts, position, world, out)
    seconds = time.perf_counter() - started
    total_loss, samples, skipped = all_sum(
        world, [float(loss_sum.item()), float(position.samples), float(position.skipped)], parts.device)
    if skipped:
        log.warning("epoch %d: %d unreadable image(s) skipped, each replaced by the next readable one of the mix",
                    epoch + 1, skipped)
    return EpochMetrics(
        epoch=epoch + 1, size=train_size(recipe.data, epoch), loss=total_loss / samples,
        lr=float(parts.optimizer.param_groups[0]["lr"]),
        images=int(samples), seconds=seconds, images_per_second=samples / seconds if seconds else 0.0,
        unreadable_skipped=int(skipped),
    )


def _checkpoint(parts: _Parts, position: Position, world: World, out: Path) -> None:
    if world.is_main:
        parts.save(out / LAST, position)
    barrier(world)


def _run(request: TrainRequest, recipe: Recipe, mix: Mix, world: World, progress: bool) -> TrainResult:
    device = _device(request.device, world)
    local_batch, steps = _plan(recipe, mix, world)
    out = Path(request.out)
    existing = _check_run_dir(out, recipe, mix)
    if existing is not None:  # the same run: the settings outside the fingerprint are this command's
        updated = existing.model_copy(update={"recipe": recipe, "recipe_source": request.recipe})
        if updated != existing and existing.complete and world.is_main:
            write_record(out, updated)
        existing = updated
    if existing is not None and existing.complete:
        return TrainResult(out, out / FINAL, existing, existing.steps_per_epoch * recipe.schedule.epochs, world.is_main)
    if world.is_main:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"cannot create run folder {out}: {exc.strerror or exc}",
                              fix="set {out} to a writable folder") from None
    parts = _build(recipe, len(mix.record.classes), device, steps, world)
    position = Position()
    if (out / LAST).exists():
        position = load_training_state(out / LAST, parts.model, parts.optimizer, parts.scheduler, parts.scaler,
                                       parts.ema)
        if world.is_main:
            log.info("resumed from epoch %d step %d (%d of %d batches of the epoch done; %s)", position.epoch + 1,
                     position.step, position.batch, steps, out / LAST)
    resumed_from = position.step
    loader, sampler = make_loader(mix, recipe.data, local_batch, world.size, world.rank, recipe.seed,
                                  pin_memory=device.type == "cuda")
    record = existing or _base_record(request, recipe, mix, world, device, steps)
    record = record.model_copy(update={"epochs": tuple(EpochMetrics(**h) for h in position.history)})
    if world.is_main:
        write_record(out, record)  # before the first checkpoint: a resume compares its recipe and mix with this one's
    while position.epoch < recipe.schedule.epochs:
        sampler.set_position(position.epoch, position.batch * local_batch)
        metrics = _epoch(parts, loader, position, recipe, world, steps, out, progress)
        if world.is_main:
            log.info("epoch %d/%d at %d px: loss %.4f, lr %.4g, %.1f images/s, %.1f s", metrics.epoch,
                     recipe.schedule.epochs, metrics.size, metrics.loss, metrics.lr, metrics.images_per_second,
                     metrics.seconds)
        position.history.append(metrics.model_dump())
        position.epoch, position.batch, position.samples, position.seconds, position.loss_sum, position.skipped = (
            metrics.epoch, 0, 0, 0.0, 0.0, 0)
        record = record.model_copy(update={"epochs": (*record.epochs, metrics)})
        _checkpoint(parts, position, world, out)
        if world.is_main:
            write_record(out, record)
    if world.is_main:
        save_weights(parts.final_weights(), out / FINAL, {"fingerprint": record.fingerprint})
        record = record.model_copy(update={
            "weights_file": FINAL, "weights_sha256": sha256_file(out / FINAL), "complete": True,
        })
        write_record(out, record)
    barrier(world)
    return TrainResult(out, out / FINAL, record, resumed_from, world.is_main)
