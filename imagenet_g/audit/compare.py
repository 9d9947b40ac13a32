"""`audit compare A B`: what changed between two audits, per metric and per class (B minus A)."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.benchmarks import get_benchmark
from imagenet_g.checks import check_folder
from imagenet_g.errors import ArgumentError, unknown
from imagenet_g.layout import audit_dir, audited_versions, built_versions
from imagenet_g.strict import StrictModel

from imagenet_g.audit.schema import AuditResult


class MetricDelta(StrictModel):
    metric: str
    a: float | None
    b: float | None
    delta: float | None
    better: str | None  # "a", "b" or None (equal, or no direction)


class ClassDelta(StrictModel):
    label: int
    class_name: str
    metric: str
    a: float
    b: float
    delta: float


class Comparison(StrictModel):
    a: str
    b: str
    metrics: list[MetricDelta]
    per_class: list[ClassDelta]
    notes: list[str]


# metric -> (reader, higher is better?)
_METRICS = {
    "zero-shot top-1 (%)": (lambda r: r.consistency and r.consistency.zero_shot_top1, True),
    "CLIPScore": (lambda r: r.consistency and r.consistency.clip_score, True),
    "classes below threshold": (lambda r: r.consistency and len(r.consistency.classes_below_threshold), False),
    "FID": (lambda r: r.fidelity and r.fidelity.overall.fid, False),
    "KID": (lambda r: r.fidelity and r.fidelity.overall.kid, False),
    "mean per-class FID": (lambda r: r.fidelity and r.fidelity.mean_class_fid, False),
    "mean per-class KID": (lambda r: r.fidelity and r.fidelity.mean_class_kid, False),
    "Vendi score": (lambda r: r.diversity and r.diversity.vendi, True),
    "mean pairwise distance": (lambda r: r.diversity and r.diversity.mean_pairwise_distance, True),
    "near-duplicates across release": (lambda r: r.diversity and r.diversity.duplicates_across_release_total, False),
    "safety-flagged share": (lambda r: r.safety and r.safety.flagged_share, False),
    "possible memorisation": (lambda r: r.memorisation and r.memorisation.matches_total, False),
}


def _per_class(r: AuditResult) -> dict[str, dict[int, tuple[str, float]]]:
    out: dict[str, dict[int, tuple[str, float]]] = {}
    if r.consistency:
        out["zero-shot top-1"] = {c.label: (c.class_name, c.zero_shot_top1) for c in r.consistency.per_class}
        out["CLIPScore"] = {c.label: (c.class_name, c.clip_score) for c in r.consistency.per_class
                            if c.clip_score is not None}
    if r.fidelity:
        out["FID"] = {c.label: (c.class_name, c.fid) for c in r.fidelity.per_class}
        out["KID"] = {c.label: (c.class_name, c.kid) for c in r.fidelity.per_class}
    if r.diversity:
        out["Vendi"] = {g.group: (g.name, g.vendi) for g in r.diversity.per_class}
    return out


def _name(r: AuditResult) -> str:
    return f"{r.release.version} ({r.release.fingerprint.rsplit(':', 1)[-1][:8]})"


def compare_audits(a: AuditResult, b: AuditResult) -> Comparison:
    """Per-metric and per-class deltas B - A; notes say where the numbers are not comparable."""
    metrics = []
    for metric, (read, higher) in _METRICS.items():
        va, vb = read(a), read(b)
        va = None if va is None or va is False else float(va)
        vb = None if vb is None or vb is False else float(vb)
        delta = None if va is None or vb is None else vb - va
        better = None if not delta else ("b" if (delta > 0) == higher else "a")
        metrics.append(MetricDelta(metric=metric, a=va, b=vb, delta=delta, better=better))
    pa, pb = _per_class(a), _per_class(b)
    per_class = [
        ClassDelta(label=label, class_name=name, metric=metric, a=value, b=pb[metric][label][1],
                   delta=pb[metric][label][1] - value)
        for metric in pa if metric in pb
        for label, (name, value) in sorted(pa[metric].items()) if label in pb[metric]
    ]
    notes = []
    ea = {(e.role, e.id, e.weights_sha256) for e in a.extractors}
    eb = {(e.role, e.id, e.weights_sha256) for e in b.extractors}
    for role in sorted({e[0] for e in ea | eb}):
        if {e for e in ea if e[0] == role} != {e for e in eb if e[0] == role}:
            notes.append(f"the {role} extractors differ (id or weights): its metrics are not comparable")
    if a.fidelity and b.fidelity and a.fidelity.reference != b.fidelity.reference:
        notes.append(f"FID/KID references differ: {a.fidelity.reference} vs {b.fidelity.reference}")
    if a.random_weights or b.random_weights:
        notes.append("an audit used random-weight extractors: its numbers prove the tooling only")
    return Comparison(a=_name(a), b=_name(b), metrics=metrics, per_class=per_class, notes=notes)


def find_audit(name: str, data_root: Path) -> Path:
    """An audit JSON given as a file, a folder holding ``audit.json``, or a release version audited under
    ``<data_root>/imagenet-g`` (a version neither built nor audited there is an unknown release)."""
    from imagenet_g.audit.report import AUDIT_FILE

    if not name:
        raise ArgumentError("an empty string names no audit JSON, audit folder or release",
                            "give an audit.json, its folder, or a release version audited under the data root")
    check_folder(data_root, "data_root")
    path = Path(name)
    if path.is_file():
        return path
    if path.is_dir():
        return path / AUDIT_FILE
    if path.suffix == ".json" or len(path.parts) > 1:  # a path, not a version: read_audit says it does not exist
        return path
    release_dir = Path(data_root) / get_benchmark("imagenet-g").folders[0]
    audit = audit_dir(release_dir, name) / AUDIT_FILE
    if audit.is_file() or name in built_versions(release_dir):
        return audit  # a built release not audited yet: read_audit says to audit it
    raise unknown("release", name, audited_versions(release_dir, AUDIT_FILE),
                  where=f"(no file or folder {name!r}, and {audit} does not exist)",
                  otherwise="give an audit.json or its folder")
