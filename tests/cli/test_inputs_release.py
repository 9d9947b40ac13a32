"""Bad input to the release commands: releases, releases diff, prompts, build, verify, push."""

from __future__ import annotations

import pytest
from bad_input import case, ids

CASES = [
    # releases
    case("releases --bogus", says="No such option: --bogus"),
    case("releases --specs-dir notes.txt", says="notes.txt is not a folder"),
    case("releases --specs-dir nowhere", says="nowhere is not a folder"),
    case("releases --json extra", says="No such command 'extra'"),
    # releases diff
    case("releases diff v1 v99", says="unknown release 'v99'"),
    case("releases diff v1", says="Missing argument 'b'"),
    case("releases diff v1 smoke --specs-dir notes.txt", says="is not a folder"),
    # prompts
    case("prompts", says="Missing option '--release'"),
    case("prompts --release v99", says="unknown release 'v99'"),
    case("prompts --release ''", says="unknown release ''"),
    case("prompts --release smoke --limit -1", says="'--limit'"),
    case("prompts --release smoke --limit x", says="'--limit'"),
    case("prompts --release smoke --split bogus", says="unknown split 'bogus'"),
    case("prompts --release smoke --split ''", says="unknown split ''"),
    case("prompts --release smoke --specs-dir empty", says="unknown release 'smoke' in empty"),
    # build
    case("build --release v99", says="unknown release 'v99'", heavy=True),
    case("build --release v1-10", says="did you mean: v1-100", heavy=True),
    case("build --release smoke --executor rya", says="did you mean: ray", heavy=True),
    case("build --release smoke --device cdua", says="did you mean: cuda", heavy=True),
    case("build --release smoke --batch-size 0", says="'--batch-size'"),
    case("build --release smoke --batch-size many", says="'--batch-size'"),
    case("build --release smoke --fast-path bogus", says="unknown fast-path setting 'bogus'", heavy=True),
    case("build --release smoke --split bogus", says="unknown split 'bogus'", heavy=True),
    case("build --release smoke --job-index 3", says="--job-index and --num-jobs go together"),
    case("build --release smoke --job-index 3 --num-jobs 2", says="set --job-index to 0..1", heavy=True),
    case("build --release smoke --ray-workers 2", says="add --executor ray", heavy=True),
    # verify
    case("verify --release v99", says="unknown release 'v99'"),
    case("verify --release smoke", says="no manifest.json in imagenet-g/smoke"),
    case("verify --release smoke --dataset-dir empty", says="no manifest.json in empty/smoke"),
    # push
    case("push --release smoke", says="Missing option '--repo-id'"),
    case("push --release v99 --repo-id org/x", says="unknown release 'v99'"),
    case("push --release smoke --repo-id org/x", says="no manifest.json in imagenet-g/smoke"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_release_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
