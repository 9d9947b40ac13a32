"""Bad input to the training commands: train, recipes."""

from __future__ import annotations

import pytest
from bad_input import case, ids

TRAIN = "train --out run --recipe smoke"

CASES = [
    # train
    case("train", says="Missing option '--out'"),
    case("train --out run --recipe bogus", says="unknown recipe 'bogus'", heavy=True),
    case("train --out run --recipe recipe.yaml", says="recipe recipe.yaml: optimizer: Field required", heavy=True),
    case(f"{TRAIN} --set bogus=1", says="bogus: unknown key", heavy=True),
    case(f"{TRAIN} --set x", says="--set 'x' is not KEY=VALUE", heavy=True),
    case(f"{TRAIN} --real nowhere", says="real set 'nowhere' is neither a folder nor a Hub id", heavy=True),
    case(f"{TRAIN} --policy bogus", says="policy: Input should be", heavy=True),
    case(f"{TRAIN} --policy fraction --generated-fraction 2", says="generated_fraction", heavy=True),
    # recipes
    case("recipes --bogus", says="No such option: --bogus"),
    case("recipes extra", says="unexpected extra argument"),
    case("recipes --json --json=yes", says="--json"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_training_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
