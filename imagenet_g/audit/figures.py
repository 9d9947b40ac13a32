"""The report's figures (matplotlib, PNG): per-class FID/KID, consistency, diversity, the shift-set heat map."""

from __future__ import annotations

from pathlib import Path

from imagenet_g.audit.schema import AuditResult


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    from imagenet_g.files import atomic_path

    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        fig.savefig(fh, format="png", dpi=110, bbox_inches="tight")
    return path


def _sorted_bars(ax, values: list[float], title: str, ylabel: str, line: float | None = None) -> None:
    values = sorted(values)
    ax.bar(range(len(values)), values, width=1.0, color="#4477aa")
    if line is not None:
        ax.axhline(line, color="#cc3311", linestyle="--", linewidth=1, label=f"threshold {line:g}")
        ax.legend(loc="upper left")
    ax.set(title=title, xlabel="classes, sorted", ylabel=ylabel)


def write_figures(result: AuditResult, folder: Path) -> dict[str, Path]:
    """Write every figure the result has data for; returns figure name -> path."""
    plt = _pyplot()
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    f = result.fidelity
    if f and f.per_class:
        fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
        a.hist([c.fid for c in f.per_class], bins=min(30, max(5, len(f.per_class) // 3)), color="#4477aa")
        a.set(title=f"per-class FID vs {f.reference}", xlabel="FID", ylabel="classes")
        b.hist([c.kid for c in f.per_class], bins=min(30, max(5, len(f.per_class) // 3)), color="#228833")
        b.set(title=f"per-class KID vs {f.reference}", xlabel="KID", ylabel="classes")
        out["fidelity"] = _save(fig, folder / "per_class_fid_kid.png")
        plt.close(fig)
    c = result.consistency
    if c and c.per_class:
        fig, ax = plt.subplots(figsize=(9, 3.2))
        _sorted_bars(ax, [p.zero_shot_top1 for p in c.per_class], f"zero-shot top-1 per class ({c.model})",
                     "top-1 (%)", c.threshold)
        out["consistency"] = _save(fig, folder / "consistency_per_class.png")
        plt.close(fig)
    d = result.diversity
    if d and d.per_class:
        fig, ax = plt.subplots(figsize=(9, 3.2))
        _sorted_bars(ax, [g.vendi for g in d.per_class], f"Vendi score per class ({d.extractor})", "Vendi score")
        out["diversity"] = _save(fig, folder / "diversity_per_class.png")
        plt.close(fig)
    if result.shift_table:
        rows = list(dict.fromkeys(cell.row for cell in result.shift_table))
        cols = list(dict.fromkeys(cell.column for cell in result.shift_table))
        grid = [[float("nan")] * len(cols) for _ in rows]
        for cell in result.shift_table:
            value = cell.mean_class_fid if cell.mean_class_fid is not None else cell.pooled.fid
            grid[rows.index(cell.row)][cols.index(cell.column)] = value
        fig, ax = plt.subplots(figsize=(1.6 * len(cols) + 2, 0.7 * len(rows) + 1.5))
        im = ax.imshow(grid, cmap="viridis_r", aspect="auto")
        ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right")
        ax.set_yticks(range(len(rows)), rows)
        for i, row in enumerate(grid):
            for j, value in enumerate(row):
                ax.text(j, i, f"{value:.1f}", ha="center", va="center", color="white", fontsize=8)
        fig.colorbar(im, ax=ax, label="mean per-class FID")
        ax.set_title("distance to the natural-shift sets")
        out["shift_table"] = _save(fig, folder / "distance_to_shift_sets.png")
        plt.close(fig)
    return out
