"""Zero-shot head build time of `imagenet-g eval -m open_clip:...` against open_clip's own
``build_zero_shot_classifier``, same text tower, same prompts, same process.

The tower is open_clip's ViT-B-32 with seeded random weights built in code (no download): the embeddings differ from
the released weights' but the work is the same. Prompts are the 80 OpenAI templates x the ImageNet class names that
eval uses (``imagenet_g.labels``). Reference: ``open_clip.build_zero_shot_classifier`` with its default 10 classes a
batch (800 prompts at the full 77 tokens). Ours: ``imagenet_g.evaluate.zeroshot.build_head``. The two heads must agree
within 1e-5 (max absolute difference of the normalised columns).

A full run is 2 x 80,000 text encodings: hours on 2 CPU cores. ``--classes N`` takes N classes spread evenly over the
1000 (every 1000/N-th), so their prompts' token lengths follow the full list's; the script prints both mean lengths
and extrapolates the full build from the measured per-prompt time. On a shared machine the load moves during a run,
so the two sides take turns on chunks of ``--chunk`` classes (ours first on even chunks, open_clip's on odd ones).
Ours then sorts and cuts each chunk's prompts alone, not all prompts at once as a whole build does: with small chunks
the ratio understates ours.

    python benchmark/zeroshot_head.py --classes 20      # 1,600 prompts a side (~10 minutes on 2 loaded cores)
    python benchmark/zeroshot_head.py --chunk 1000      # all 1000 classes in one turn a side (GPU)
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classes", type=int, default=1000, help="classes, spread evenly over the 1000")
    parser.add_argument("--chunk", type=int, default=10, help="classes per turn of each side (10: open_clip's batch)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = parser.parse_args()

    import open_clip
    import torch

    from imagenet_g import labels
    from imagenet_g.evaluate import zeroshot

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = open_clip.create_model("ViT-B-32", pretrained=None).eval().to(args.device)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")
    every, templates = labels.class_names(), labels.templates()
    names = list(every[:: max(1, len(every) // args.classes)][: args.classes])

    def mean_tokens(classes) -> float:  # up to and with the end-of-text token, which CLIP pools from
        return float((tokenizer([t(c) for c in classes for t in templates]).argmax(-1) + 1).float().mean())

    prompts = len(names) * len(templates)
    print(f"open_clip ViT-B-32 text tower (random weights), {args.device}, {torch.get_num_threads()} threads: "
          f"{len(names)} classes x {len(templates)} templates = {prompts} prompts; mean tokens "
          f"{mean_tokens(names):.1f} (all 1000 classes: {mean_tokens(every):.1f}) of {model.context_length}")

    def timed(build):
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        start = time.perf_counter()
        head = build()
        if args.device.startswith("cuda"):
            torch.cuda.synchronize()
        return head.float().cpu(), time.perf_counter() - start

    sides = {
        "ours": lambda chunk: zeroshot.build_head(model, tokenizer, chunk, templates, args.device),
        "open_clip": lambda chunk: open_clip.build_zero_shot_classifier(
            model, tokenizer=tokenizer, classnames=chunk, templates=templates, device=args.device),
    }
    heads: dict[str, list] = {side: [] for side in sides}
    seconds = dict.fromkeys(sides, 0.0)
    for i, start in enumerate(range(0, len(names), args.chunk)):
        chunk = names[start:start + args.chunk]
        for side in (sides if i % 2 == 0 else reversed(sides)):
            head, took = timed(lambda: sides[side](chunk))
            heads[side].append(head)
            seconds[side] += took
    ours, reference = (torch.cat(heads[side], dim=1) for side in sides)
    t_ours, t_ref = seconds["ours"], seconds["open_clip"]
    diff = float((ours - reference).abs().max())
    full = 1000 * len(templates)
    print(f"open_clip build_zero_shot_classifier: {t_ref:8.1f} s ({prompts / t_ref:7.1f} prompts/s; "
          f"1000 classes ~{t_ref / prompts * full / 60:.0f} min)")
    print(f"imagenet_g zeroshot.build_head:       {t_ours:8.1f} s ({prompts / t_ours:7.1f} prompts/s; "
          f"1000 classes ~{t_ours / prompts * full / 60:.0f} min)")
    print(f"speed-up {t_ref / t_ours:.2f}x (target >= 2.5x); max |difference| {diff:.2e} (target <= 1e-5): "
          f"{'PASS' if t_ref / t_ours >= 2.5 and diff <= 1e-5 else 'FAIL'}")


if __name__ == "__main__":
    main()
