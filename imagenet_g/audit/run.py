"""One audit: release (+ reference and shift sets) -> cached features -> metrics -> audit JSON, report, card.

Each section needs one extractor's features; features come from the on-disk cache when present, so a second
audit (or a rerun after Ctrl-C) costs only the metrics: extractors are resolved lazily (``LazyExtractor``) and a
network is built only on a cache miss. The zero-shot head is eval's (``imagenet_g.evaluate.cached_head``), under the
same key, so eval and audit build it once between them.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from imagenet_g import labels
from imagenet_g.audit import diversity as div
from imagenet_g.audit import fidelity as fid
from imagenet_g.audit import schema as s
from imagenet_g.audit.consistency import accuracy_by_group, clip_scores, zero_shot_predictions
from imagenet_g.audit.extractors import LazyExtractor, checker_lock_sha256, clip_arch, resolve_extractor
from imagenet_g.audit.report import write_outputs
from imagenet_g.audit.request import RELEASE, AuditRequest, audit_outputs, check_audit_request, release_location
from imagenet_g.audit.features import FeatureSet, dataset_fingerprint, extract, text_embeddings
from imagenet_g.benchmarks import NATURAL_SHIFTS, get_benchmark
from imagenet_g.devices import pick_device
from imagenet_g.environment import environment
from imagenet_g.claims import claimed
from imagenet_g.errors import DatasetNotFoundError, InsufficientDataError, OutputError
from imagenet_g.evaluate import cached_head, head_key
from imagenet_g.images import LoadedDataset, Location, candidate_folders, default_cache_dir, load, locate, release_rows

_LIST_LIMIT = 200  # images listed per list in the JSON; each list's total is counted beside it


class _Data:
    """A loaded dataset with its fingerprint; features per extractor are fetched on demand (cached)."""

    def __init__(self, loaded: LoadedDataset, request: AuditRequest, progress: bool) -> None:
        self.loaded, self.request, self.progress = loaded, request, progress
        self.fingerprint = dataset_fingerprint(loaded)
        self._features: dict[str, FeatureSet] = {}

    @property
    def name(self) -> str:
        return self.loaded.version if self.loaded.spec.layout == "release" else self.loaded.spec.name

    def features(self, extractor: LazyExtractor) -> FeatureSet:
        if extractor.id not in self._features:
            r = self.request
            self._features[extractor.id] = extract(
                self.loaded.images, self.fingerprint, extractor, r.cache_dir, r.batch_size, r.workers, r.device,
                self.progress, f"{extractor.id} {self.name}",
            )
        return self._features[extractor.id]

    def info(self) -> s.DatasetInfo:
        failed = next(iter(self._features.values())).failed if self._features else {}
        return s.DatasetInfo(name=self.loaded.spec.name, version=self.loaded.version, source=self.loaded.source,
                             fingerprint=self.fingerprint, images=len(self.loaded.images),
                             unreadable={**self.loaded.images.skipped, **failed})


def _load_release(request: AuditRequest) -> LoadedDataset:
    return load(get_benchmark(RELEASE), release_location(request), request.release)


def _load_optional(request: AuditRequest, name: str, required: bool, skipped: dict[str, str]) -> LoadedDataset | None:
    spec = get_benchmark(name)
    location = locate(spec, request.data_root, request.paths.get(name))
    if location is None:
        looked = ", ".join(str(p) for p in candidate_folders(spec, request.data_root))
        if required:
            raise DatasetNotFoundError(f"{name} not found (looked in {looked})", f"set {{path}} {name}=FOLDER")
        skipped[name] = f"not found (looked in {looked})"
        return None
    return load(spec, location)


def _release_columns(loaded: LoadedDataset) -> dict[str, list]:
    """The release rows' prompt, template id and safety flag (in image order), where the release has them."""
    where = Path(loaded.source)
    rows = release_rows(Location("folder" if where.is_dir() else "hub", loaded.source), loaded.version or "")
    wanted = [c for c in ("prompt", "template_id", "nsfw") if c in rows.column_names]
    return {c: rows[c] for c in wanted}


class _Refs:
    """Turns a release position into an ``ImageRef``."""

    def __init__(self, targets: np.ndarray, columns: dict[str, list]) -> None:
        self.targets, self.columns = targets, columns
        self.names = labels.class_names()

    def __call__(self, position: int) -> s.ImageRef:
        label = int(self.targets[position])
        template = self.columns.get("template_id")
        prompt = self.columns.get("prompt")
        return s.ImageRef(position=int(position), label=label, class_name=self.names[label],
                          template_id=None if template is None else int(template[position]),
                          prompt=None if prompt is None else prompt[position])


def _distance(d: fid.Distance) -> dict:
    return {"fid": d.fid, "kid": d.kid, "kid_std": d.kid_std, "kid_subset_size": d.kid_subset_size,
            "n_reference": d.n_real, "n_audited": d.n_fake, "singular_covariance": d.singular}


def _fidelity(reference: FeatureSet, release: FeatureSet, ref_name: str, extractor: str,
              request: AuditRequest) -> s.Fidelity:
    names = labels.class_names()
    shared = np.intersect1d(np.unique(reference.targets), np.unique(release.targets))
    ref = reference.rows(np.isin(reference.targets, shared))
    if len(shared) == 0:
        raise InsufficientDataError(f"{ref_name} holds none of the release's classes", "choose another {reference}")
    k = (request.kid_subsets, request.kid_subset_size, request.seed)
    overall = fid.distance(np.asarray(ref.features), np.asarray(release.features), *k)
    per_class, skipped = fid.per_class_distance(np.asarray(ref.features), ref.targets,
                                                np.asarray(release.features), release.targets, *k)
    rows = [s.ClassDistance(label=c, class_name=names[c], **_distance(d)) for c, d in sorted(per_class.items())]
    return s.Fidelity(
        reference=ref_name, extractor=extractor, overall=s.Distance(**_distance(overall)), per_class=rows,
        per_class_skipped=skipped,
        mean_class_fid=float(np.mean([r.fid for r in rows])) if rows else None,
        mean_class_kid=float(np.mean([r.kid for r in rows])) if rows else None,
    )


def _shift_cell(row: str, a: FeatureSet, column: str, b: FeatureSet, request: AuditRequest) -> s.ShiftCell | None:
    shared = np.intersect1d(np.unique(a.targets), np.unique(b.targets))
    a, b = a.rows(np.isin(a.targets, shared)), b.rows(np.isin(b.targets, shared))
    if len(a.targets) < 2 or len(b.targets) < 2:
        return None
    k = (request.kid_subsets, request.kid_subset_size, request.seed)
    pooled = fid.distance(np.asarray(b.features), np.asarray(a.features), *k)
    per_class, _ = fid.per_class_distance(np.asarray(b.features), b.targets, np.asarray(a.features), a.targets, *k)
    return s.ShiftCell(
        row=row, column=column, classes=len(shared), pooled=s.Distance(**_distance(pooled)),
        mean_class_fid=float(np.mean([d.fid for d in per_class.values()])) if per_class else None,
        mean_class_kid=float(np.mean([d.kid for d in per_class.values()])) if per_class else None,
    )


def _class_weights(images: FeatureSet, clip: LazyExtractor, request: AuditRequest) -> np.ndarray:
    """eval's zero-shot head of the CLIP model (same key, same cache folder): built once for both."""
    names, templates = labels.class_names(), labels.template_set(request.templates)
    key = head_key(clip_arch(clip.id), images.extractor["weights_sha256"], names, templates)
    head, _ = cached_head(key, request.cache_dir or default_cache_dir(), lambda: clip.get().text.head(names, templates))
    return head.float().numpy()


def _consistency(images: FeatureSet, clip: LazyExtractor, request: AuditRequest, columns: dict[str, list],
                 refs: _Refs) -> s.Consistency:
    names = labels.class_names()
    feats = np.asarray(images.features)
    predicted = zero_shot_predictions(feats, _class_weights(images, clip, request))
    correct = predicted == images.targets
    scores = None
    if "prompt" in columns:
        prompts = [columns["prompt"][p] for p in images.positions]
        scores = clip_scores(feats, text_embeddings(prompts, clip, request.cache_dir))
    per_class = []
    for cls, (top1, n) in accuracy_by_group(correct, images.targets).items():
        mask = images.targets == cls
        per_class.append(s.ClassConsistency(label=cls, class_name=names[cls], images=n, zero_shot_top1=top1,
                                            clip_score=None if scores is None else float(scores[mask].mean())))
    per_template = {}
    if "template_id" in columns:
        templates = np.asarray([columns["template_id"][p] for p in images.positions])
        per_template = {t: top1 for t, (top1, _) in accuracy_by_group(correct, templates).items()}
    wrong = np.flatnonzero(~correct)
    return s.Consistency(
        model=clip.id, templates=request.templates, zero_shot_top1=float(100.0 * correct.mean()),
        clip_score=None if scores is None else float(scores.mean()), images=len(correct),
        threshold=request.consistency_threshold,
        classes_below_threshold=[c.label for c in per_class if c.zero_shot_top1 < request.consistency_threshold],
        per_class=per_class, per_template=per_template,
        off_class=[s.OffClassImage(image=refs(int(images.positions[i])), predicted=int(predicted[i]),
                                   predicted_name=names[int(predicted[i])]) for i in wrong[:_LIST_LIMIT]],
        off_class_total=len(wrong),
    )


def _group_diversity(feats: np.ndarray, groups: np.ndarray, name_of) -> list[s.GroupDiversity]:
    out = []
    for g in np.unique(groups):
        x = feats[groups == g]
        out.append(s.GroupDiversity(group=int(g), name=name_of(int(g)), images=len(x), vendi=div.vendi_score(x),
                                    mean_pairwise_distance=div.mean_pairwise_distance(x) if len(x) > 1 else None))
    return out


def _diversity(images: FeatureSet, clip: LazyExtractor, request: AuditRequest, columns: dict[str, list],
               refs: _Refs) -> s.Diversity:
    names = labels.class_names()
    feats = np.asarray(images.features)

    def listed(found: div.NearPairs) -> list[s.DuplicatePair]:
        return [s.DuplicatePair(a=refs(int(images.positions[p.i])), b=refs(int(images.positions[p.j])),
                                similarity=p.similarity) for p in found.pairs]

    per_template = []
    if "template_id" in columns:
        templates = np.asarray([columns["template_id"][p] for p in images.positions])
        per_template = _group_diversity(feats, templates, lambda t: f"template {t}")
    within, across = div.near_pairs_each(feats, request.duplicate_threshold, [images.targets, None], _LIST_LIMIT)
    return s.Diversity(
        extractor=clip.id, vendi=div.vendi_score(feats),
        mean_pairwise_distance=div.mean_pairwise_distance(feats) if len(feats) > 1 else None,
        per_class=_group_diversity(feats, images.targets, lambda c: names[c]), per_template=per_template,
        duplicate_threshold=request.duplicate_threshold,
        duplicates_within_class_total=within.total, duplicates_within_class=listed(within),
        duplicates_across_release_total=across.total, duplicates_across_release=listed(across),
    )


def _build_flags(release: _Data, columns: dict[str, list], checker: LazyExtractor) -> tuple[list | None, str]:
    """The build's ``nsfw`` column when the build ran this very checker (its weights' sha256 is in the release's
    lock), else None; with the reason either way."""
    from imagenet_g.release import WEIGHT_SUFFIXES, read_manifest

    if "nsfw" not in columns:
        return None, "the release has no nsfw column"
    source = Path(release.loaded.source)
    manifest = read_manifest(source / (release.loaded.version or "")) if source.is_dir() else None
    if manifest is None:
        return None, "no local manifest names the checker the build ran"
    if not manifest.spec.generator.safety_checker:
        return None, "the build did not run a safety checker (nsfw is null)"
    locked = {sha for name, sha in manifest.lock.files.items() if name == "safety_checker" or (
        name.startswith("safety_checker/") and name.endswith(WEIGHT_SUFFIXES))}
    ours = checker_lock_sha256(checker)
    if locked != {ours}:
        return None, (f"the build's checker ({manifest.lock.model}, weights sha256 "
                      f"{', '.join(sorted(x[:12] for x in locked))}) is not {checker.id} ({ours[:12]})")
    return columns["nsfw"], f"the build ran {checker.id} (weights sha256 {ours[:12]}, from the release's lock)"


def _safety(release: _Data, positions: np.ndarray, columns: dict[str, list], checker: LazyExtractor, refs: _Refs,
            ) -> tuple[s.Safety, FeatureSet | None]:
    """Flags of the audited images: the build's, when it ran the same checker, else the checker's (cached)."""
    recorded, reason = _build_flags(release, columns, checker)
    computed = None
    if recorded is not None:
        flags = np.asarray([bool(recorded[p]) for p in positions])
        source = "release nsfw column"
    else:
        computed = release.features(checker)
        positions = computed.positions
        flags = np.asarray(computed.features)[:, 0] > 0.5
        source = "checker run by the audit"
    flagged = np.flatnonzero(flags)
    n = len(positions)
    return s.Safety(checker=checker.id, source=source, source_reason=reason, images=n, flagged=len(flagged),
                    flagged_share=float(len(flagged) / n) if n else 0.0,
                    flagged_images=[refs(int(positions[i])) for i in flagged[:_LIST_LIMIT]]), computed


def _memorisation(images: FeatureSet, reference: FeatureSet, ref: _Data, clip: LazyExtractor, request: AuditRequest,
                  refs: _Refs) -> s.Memorisation:
    index, sims = div.nearest_neighbours(np.asarray(images.features), np.asarray(reference.features))
    hits = np.flatnonzero(sims >= request.memorisation_threshold)
    hits = hits[np.argsort(-sims[hits], kind="stable")]
    return s.Memorisation(
        reference=ref.loaded.spec.name, extractor=clip.id, threshold=request.memorisation_threshold,
        images=len(sims), max_similarity=float(sims.max()), matches_total=len(hits),
        matches=[s.MemorisationMatch(image=refs(int(images.positions[i])),
                                     reference_key=ref.loaded.images.key(int(reference.positions[index[i]])),
                                     similarity=float(sims[i])) for i in hits[:_LIST_LIMIT]],
    )


def _extractor_info(role: str, features: FeatureSet) -> s.ExtractorInfo:
    return s.ExtractorInfo(role=role, **features.extractor)


_AUDIT_PACKAGES = ("torch", "torchvision", "torchmetrics", "torch-fidelity", "open-clip-torch", "diffusers",
                  "transformers", "datasets", "numpy", "pillow")


def _compute_audit(request: AuditRequest, progress: bool = False) -> s.AuditResult:
    """Run every section the available data allows (``request`` already checked); writes nothing but the feature
    cache."""
    device = pick_device(request.device)  # before any work: an unavailable device is an error at once
    skipped: dict[str, str] = {}
    release = _Data(_load_release(request), request, progress)
    columns = _release_columns(release.loaded)
    refs = _Refs(release.loaded.images.targets, columns)
    reference = None
    if request.reference:
        loaded = _load_optional(request, request.reference, request.reference in request.paths, skipped)
        reference = _Data(loaded, request, progress) if loaded else None
    shift_names = request.shift_sets if request.shift_sets is not None else NATURAL_SHIFTS
    shifts = []
    for name in shift_names:
        loaded = _load_optional(request, name, request.shift_sets is not None, skipped)
        if loaded:
            shifts.append(_Data(loaded, request, progress))

    clip = resolve_extractor(request.clip_model, cache_dir=request.cache_dir)
    clip_feats = release.features(clip)
    extractors = [_extractor_info("clip", clip_feats)]
    if len(clip_feats.positions) < 2:
        raise InsufficientDataError(
            f"release {request.release} has {len(clip_feats.positions)} readable image(s); an audit needs at least 2",
            "audit a release with more images")
    consistency = _consistency(clip_feats, clip, request, columns, refs)
    diversity = _diversity(clip_feats, clip, request, columns, refs)
    memorisation = fidelity = None
    shift_table: list[s.ShiftCell] = []
    if reference:
        memorisation = _memorisation(clip_feats, reference.features(clip), reference, clip, request, refs)
    else:
        skipped["memorisation"] = skipped["fidelity"] = f"no reference set ({request.reference or 'none given'})"
    if reference or shifts:
        fid_ex = resolve_extractor(request.fid_extractor, request.inception_weights)
        release_fid = release.features(fid_ex)
        extractors.append(_extractor_info("fidelity", release_fid))
        if reference:
            fidelity = _fidelity(reference.features(fid_ex), release_fid, reference.loaded.spec.name, fid_ex.id,
                                 request)
        rows = ([(reference.loaded.spec.name, reference.features(fid_ex))] if reference else []) + [
            (f"imagenet-g {request.release}", release_fid)]
        for shift in shifts:
            for row_name, row_feats in rows:
                cell = _shift_cell(row_name, row_feats, shift.loaded.spec.name, shift.features(fid_ex), request)
                if cell is None:
                    skipped[f"{row_name} -> {shift.loaded.spec.name}"] = "fewer than 2 images in shared classes"
                else:
                    shift_table.append(cell)
    else:
        skipped["shift table"] = "no natural-shift set found"
    safety = None
    if request.safety_checker:
        checker = resolve_extractor(request.safety_checker, request.safety_weights)
        safety, computed = _safety(release, clip_feats.positions, columns, checker, refs)
        if computed is not None:
            extractors.append(_extractor_info("safety", computed))
    else:
        skipped["safety"] = "no safety checker asked for"
    result = s.AuditResult(
        release=release.info(), datasets=[d.info() for d in ([reference] if reference else []) + shifts],
        extractors=extractors, consistency=consistency, fidelity=fidelity, shift_table=shift_table,
        diversity=diversity, safety=safety, memorisation=memorisation, skipped=skipped,
        random_weights=any(e.random_weights for e in extractors),
        environment=environment(device, _AUDIT_PACKAGES), created=datetime.now(timezone.utc),
    )
    return result


def run_audit(request: AuditRequest, progress: bool = False) -> tuple[s.AuditResult, dict[str, Path]]:
    """Audit a release and write the audit JSON, report, figures and card section; returns the result and paths.

    The outputs are checked (``audit_outputs``) and the audit folder claimed before any work, so a second audit
    into the same folder is refused while this one runs."""
    check_audit_request(request)
    folder, card = audit_outputs(request)
    with claimed(folder, f"audit folder {folder}"):
        result = _compute_audit(request, progress)
        try:
            written = write_outputs(result, folder, card.parent if card is not None else None)
        except OSError as exc:
            raise OutputError(f"cannot write the audit to {folder}: {exc.strerror or exc}",
                              "choose another {out}; the features are cached, so a rerun costs only the metrics"
                              ) from None
    return result, written
