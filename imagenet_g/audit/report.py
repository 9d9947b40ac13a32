"""The audit's human outputs: a markdown report beside the JSON, and a section in the release's dataset card."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.audit.schema import AuditResult
from imagenet_g.files import atomic_write_text, turn_to_write
from imagenet_g.layout import CARD_FILE, VERSION_END, VERSION_START, audit_block, audit_markers

AUDIT_FILE = "audit.json"
_REPORT_FILE = "report.md"
RANDOM_NOTE = ("**These numbers only prove the tooling**: at least one extractor has random weights (built in code "
               "for offline use), so no number here says anything about the images.")
SINGULAR_NOTE = ("Per-class FID uses fewer images than feature dimensions, so each class's covariance is singular "
                 "and its FID is noisy and biased upwards with small n; compare classes by KID (unbiased, subset "
                 "size <= n) and treat per-class FID as the paper's convention, not a precise distance.")


def _f(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def summary_rows(result: AuditResult) -> list[tuple[str, str]]:
    """(metric, value) pairs shown in the CLI table, the report and the card."""
    rows: list[tuple[str, str]] = [("images", str(result.release.images))]
    c = result.consistency
    if c:
        rows += [(f"zero-shot top-1 ({c.model})", f"{_f(c.zero_shot_top1)} %"),
                 ("CLIPScore (mean)", _f(c.clip_score)),
                 (f"classes below {c.threshold:g} % top-1", str(len(c.classes_below_threshold))),
                 ("off-class images (zero-shot)", str(c.off_class_total))]
    f = result.fidelity
    if f:
        rows += [(f"FID vs {f.reference} ({f.extractor})", _f(f.overall.fid)),
                 (f"KID vs {f.reference}", f"{f.overall.kid:.4f} ± {f.overall.kid_std:.4f}"),
                 ("mean per-class FID / KID", f"{_f(f.mean_class_fid)} / {_f(f.mean_class_kid, 4)}")]
    d = result.diversity
    if d:
        rows += [(f"Vendi score ({d.extractor})", _f(d.vendi)), ("mean pairwise cosine distance",
                                                                 _f(d.mean_pairwise_distance, 4)),
                 (f"near-duplicate pairs (cos >= {d.duplicate_threshold:g}), within class / across",
                  f"{d.duplicates_within_class_total} / {d.duplicates_across_release_total}")]
    if result.safety:
        rows.append((f"flagged by {result.safety.checker}",
                     f"{result.safety.flagged} ({100 * result.safety.flagged_share:.1f} %)"))
    m = result.memorisation
    if m:
        rows.append((f"possible memorisation (cos >= {m.threshold:g} to {m.reference})", str(m.matches_total)))
    return rows


def _report_markdown(result: AuditResult, figures: dict[str, Path], folder: Path) -> str:
    """The report text; figure links are relative to ``folder``."""
    rel = {k: p.relative_to(folder).as_posix() if p.is_relative_to(folder) else str(p) for k, p in figures.items()}
    r = result.release
    lines = [f"# Audit of ImageNet-G {r.version}", "",
             f"Source `{r.source}`, {r.images} images, fingerprint `{r.fingerprint.rsplit(':', 1)[-1][:16]}`; "
             f"created {result.created:%Y-%m-%d %H:%M} UTC.", ""]
    if result.random_weights:
        lines += [f"> {RANDOM_NOTE}", ""]
    lines += ["| metric | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in summary_rows(result)), ""]
    c = result.consistency
    if c:
        lines += ["## Consistency", "",
                  f"Zero-shot top-1 of `{c.model}` over the 1000 ImageNet classes ({c.templates} templates) against "
                  f"each image's label, and CLIPScore = max(100 x cos(image, prompt), 0) per image, averaged.", ""]
        if "consistency" in rel:
            lines += [f"![consistency per class]({rel['consistency']})", ""]
        low = [p for p in c.per_class if p.label in set(c.classes_below_threshold)]
        if low:
            lines += [f"Classes below {c.threshold:g} %:", "", "| class | top-1 | CLIPScore | images |", "|---|---|---|---|"]
            lines += [f"| {p.class_name} ({p.label}) | {_f(p.zero_shot_top1)} | {_f(p.clip_score)} | {p.images} |"
                      for p in sorted(low, key=lambda p: p.zero_shot_top1)[:50]]
            lines.append("")
    f = result.fidelity
    if f:
        lines += ["## Fidelity", "",
                  f"FID and KID (torchmetrics, on `{f.extractor}` features) between {f.reference} and the release, "
                  f"overall ({f.overall.n_reference} vs {f.overall.n_audited} images, KID subsets of "
                  f"{f.overall.kid_subset_size}) and per class.", "", f"> {SINGULAR_NOTE}", ""]
        if "fidelity" in rel:
            lines += [f"![per-class FID and KID]({rel['fidelity']})", ""]
    if result.shift_table:
        lines += ["## Distance to the natural-shift sets", "",
                  "Mean per-class FID (pooled FID, KID) on the classes both sets hold; lower is closer.", "",
                  "| from | to | classes | mean per-class FID | pooled FID | KID |", "|---|---|---|---|---|---|"]
        lines += [f"| {x.row} | {x.column} | {x.classes} | {_f(x.mean_class_fid)} | {_f(x.pooled.fid)} | "
                  f"{x.pooled.kid:.4f} |" for x in result.shift_table]
        lines.append("")
        if "shift_table" in rel:
            lines += [f"![distance to shift sets]({rel['shift_table']})", ""]
    d = result.diversity
    if d:
        lines += ["## Diversity", "",
                  f"Vendi score (cosine kernel; 1 = all alike, n = all orthogonal) and mean pairwise cosine distance "
                  f"of `{d.extractor}` image embeddings, per class and per prompt template.", ""]
        if "diversity" in rel:
            lines += [f"![diversity per class]({rel['diversity']})", ""]
        pairs = d.duplicates_within_class[:20]
        if pairs:
            lines += [f"Near-duplicates within a class: {d.duplicates_within_class_total} pairs, the {len(pairs)} most "
                      "similar:", "", "| row a | row b | class | cosine |", "|---|---|---|---|"]
            lines += [f"| {p.a.position} | {p.b.position} | {p.a.class_name} | {p.similarity:.4f} |" for p in pairs]
            lines.append("")
    if result.safety:
        lines += ["## Safety", "", f"`{result.safety.checker}` run as a classifier (images are not altered): "
                  f"{result.safety.flagged} of {result.safety.images} flagged. Flags: {result.safety.source} "
                  f"({result.safety.source_reason}).", ""]
    m = result.memorisation
    if m:
        lines += ["## Possible memorisation", "",
                  f"Generated images whose nearest {m.reference} image (by `{m.extractor}` cosine) is at least "
                  f"{m.threshold:g}: {m.matches_total} of {m.images}; the highest similarity seen is "
                  f"{m.max_similarity:.4f}.", ""]
        lines += [f"- row {x.image.position} ({x.image.class_name}) ~ `{x.reference_key}`: {x.similarity:.4f}"
                  for x in m.matches[:50]]
        lines.append("")
    if result.skipped:
        lines += ["## Not computed", "", *(f"- {k}: {v}" for k, v in result.skipped.items()), ""]
    lines += ["## Extractors", "", "| role | id | weights sha256 | random weights |", "|---|---|---|---|"]
    lines += [f"| {e.role} | {e.id} | `{e.weights_sha256[:16]}` | {e.random_weights} |" for e in result.extractors]
    lines.append("")
    return "\n".join(lines)


def card_section(result: AuditResult, report: Path, card_dir: Path) -> str:
    """The dataset card's audit block for this release (inside its version's section; a rerun replaces it)."""
    version = result.release.version or ""
    start, end = audit_markers(version)
    link = report.relative_to(card_dir).as_posix() if report.is_relative_to(card_dir) else str(report)
    lines = [start, f"#### Audit of {version}", ""]
    if result.random_weights:
        lines += [RANDOM_NOTE, ""]
    lines += ["| metric | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in summary_rows(result)), "",
              f"Full report: [{link}]({link})", end]
    return "\n".join(lines)


def add_card_section(card: Path, section: str, version: str) -> None:
    """Put ``section`` into the card: replacing this version's earlier audit block, else at the end of the
    version's section, else at the end of the card (atomic write, in turn with the card's other writers)."""
    with turn_to_write(card):
        text = card.read_text(encoding="utf-8") if card.is_file() else ""
        old = audit_block(text, version)
        opening = text.find(VERSION_START.format(version=version))
        closing = text.find(VERSION_END, opening) if opening >= 0 else -1
        if old is not None:
            text = text.replace(old, section, 1)
        elif closing >= 0:
            text = f"{text[:closing]}{section}\n{text[closing:]}"
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        atomic_write_text(card, text)


def write_outputs(result: AuditResult, folder: Path, card_dir: Path | None) -> dict[str, Path]:
    """Write the audit JSON, figures, report and (when ``card_dir``) the card section; returns what was written."""
    from imagenet_g.audit.figures import write_figures

    folder.mkdir(parents=True, exist_ok=True)
    result.write(folder / AUDIT_FILE)
    figures = write_figures(result, folder / "figures")
    report = folder / _REPORT_FILE
    atomic_write_text(report, _report_markdown(result, figures, folder))
    written = {"json": folder / AUDIT_FILE, "report": report, **figures}
    if card_dir is not None:
        add_card_section(card_dir / CARD_FILE, card_section(result, report, card_dir), result.release.version or "")
        written["card"] = card_dir / CARD_FILE
    return written
