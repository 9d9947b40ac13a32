"""Bad input to the release commands: releases, releases diff, prompts, build, verify, push."""

from __future__ import annotations

import pytest
from bad_input import EMPTY_PATH, case, ids

CASES = [
    # releases
    case("releases --bogus", says="No such option: --bogus"),
    case("releases --json extra", says="No such command 'extra'"),
    case("releases --specs-dir notes.txt", says="notes.txt is not a folder"),
    case("releases --specs-dir nowhere", says="nowhere is not a folder"),
    case("releases --specs-dir empty", says="empty holds no release spec"),
    case("releases --specs-dir ''", says=EMPTY_PATH),
    case("releases --specs-dir badspecs", says="description: holds the invisible character \\u202e"),
    # releases diff
    case("releases diff v1 v99", says="unknown release 'v99'"),
    case("releases diff v1 v1-10", says="did you mean: v1-100"),
    case("releases diff v1", says="Missing argument 'b'"),
    case("releases diff v1 smoke --specs-dir notes.txt", says="is not a folder"),
    case("releases diff v1 smoke --dataset-dir notes.txt", says="dataset_dir 'notes.txt' is a file, not a folder"),
    case("releases diff v1 smoke --dataset-dir nowhere", says="dataset_dir 'nowhere' does not exist"),
    case("releases diff v1 smoke --dataset-dir ''", says=EMPTY_PATH),
    case("releases diff smoke v1 --dataset-dir empty", says="smoke and v1 are not built completely in empty"),
    case("releases diff smoke v1 --dataset-dir data/imagenet-g", says="v1 is not built completely in data/imagenet-g"),
    # prompts
    case("prompts", says="Missing option '--release'"),
    case("prompts --release v99", says="unknown release 'v99'"),
    case("prompts --release ''", says="unknown release ''"),
    case("prompts --release smoke --limit -1", says="'--limit'"),
    case("prompts --release smoke --limit x", says="'--limit'"),
    case("prompts --release smoke --limit 100000000000000000000", says="set --limit to 0..10,000,000"),
    case("prompts --release smoke --split bogus", says="unknown split 'bogus'"),
    case("prompts --release smoke --split ''", says="unknown split ''"),
    case("prompts --release smoke --specs-dir empty", says="empty holds no release spec"),
    case("prompts --release smoke --specs-dir ''", says=EMPTY_PATH),
    case("prompts --release bidi --specs-dir badspecs", says="description: holds the invisible character"),
    # build
    case("build", says="Missing option '--release'"),
    case("build --release v99", says="unknown release 'v99'"),
    case("build --release v1-10", says="did you mean: v1-100"),
    case("build --release smoke --executor rya", says="did you mean: ray"),
    case("build --release smoke --device cdua", says="did you mean: cuda"),
    case("build --release smoke --device cuda:x", says="unknown device 'cuda:x'"),
    case("build --release smoke --threads 0", says="'--threads'"),
    case("build --release smoke --threads 1000000000000", says="'--threads'"),
    case("build --release smoke --batch-size 0", says="'--batch-size'"),
    case("build --release smoke --batch-size many", says="'--batch-size'"),
    case("build --release smoke --batch-size 1000000", says="set --batch-size to 1..65,536"),
    case("build --release smoke --fast-path bogus", says="unknown fast-path setting 'bogus'"),
    case("build --release smoke --fast-path fp16 --device cpu", says="fast path fp16 needs a CUDA device"),
    case("build --release smoke --split bogus", says="unknown split 'bogus'"),
    case("build --release smoke --job-index 3", says="--job-index and --num-jobs go together"),
    case("build --release smoke --job-index 3 --num-jobs 2", says="set --job-index to 0..1"),
    case("build --release smoke --job-index -1 --num-jobs 2", says="set --job-index to 0..1"),
    case("build --release smoke --job-index 0 --num-jobs 0", says="set --num-jobs to 1 or more"),
    case("build --release smoke --ray-workers 2", says="add --executor ray"),
    case("build --release smoke --executor ray --ray-workers 1000000000", says="set --ray-workers to 1..10,000"),
    case("build --release smoke --address auto", says="add --executor ray"),
    case("build --release smoke --dataset-dir ''", says=EMPTY_PATH),
    case("build --release smoke --dataset-dir notes.txt", says="dataset_dir 'notes.txt' is a file, not a folder"),
    case("build --release smoke --init-images data/imagenet", says="leave --init-images out"),
    case("build --release v1-images", says="starts from real images"),
    case("build --release v1-images --init-images nowhere", says="neither a folder"),
    case("build --release smoke --specs-dir empty", says="empty holds no release spec"),
    # verify
    case("verify", says="Missing option '--release'"),
    case("verify --release v99", says="unknown release 'v99'"),
    case("verify --release smoke", says="no manifest.json in imagenet-g/smoke"),
    case("verify --release smoke --dataset-dir empty", says="no manifest.json in empty/smoke"),
    case("verify --release smoke --dataset-dir ''", says=EMPTY_PATH),
    case("verify --release smoke --specs-dir empty", says="empty holds no release spec"),
    # push
    case("push --release smoke", says="Missing option '--repo-id'"),
    case("push --repo-id org/x", says="Missing option '--release'"),
    case("push --release v99 --repo-id org/x", says="unknown release 'v99'"),
    case("push --release smoke --repo-id org/x", says="no manifest.json in imagenet-g/smoke"),
    case("push --release smoke --repo-id org/x --dataset-dir ''", says=EMPTY_PATH),
    case("push --release smoke --repo-id org/x --dataset-dir empty", says="no manifest.json in empty/smoke"),
    case("push --release smoke --repo-id '' --dataset-dir data/imagenet-g", says="'' is not a Hub repo id"),
    case("push --release smoke --repo-id 'my org/bad id' --dataset-dir data/imagenet-g",
         says="'my org/bad id' is not a Hub repo id; set --repo-id to NAME or ORG/NAME"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_release_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
