"""Bad input to the evaluation commands: eval, data, compare."""

from __future__ import annotations

import pytest
from bad_input import case, ids

CASES = [
    # eval
    case("eval", says="Missing option '--model'"),
    case("eval --model ''", says="empty model id", heavy=True),
    case("eval --model resnet18 --device cdua", says="did you mean: cuda", heavy=True),
    case("eval --model resnet18 --datasets bogus", says="unknown dataset 'bogus'", heavy=True),
    case("eval --model resnet18 --precision fp8", says="unknown precision 'fp8'", heavy=True),
    case("eval --model resnet18 --batch-size 0", says="'--batch-size'"),
    case("eval --model resnet18 --crop-mode bogus", says="unknown crop mode 'bogus'", heavy=True),
    case("eval --model resnet18 --interpolation bogus", says="unknown interpolation 'bogus'", heavy=True),
    case("eval --model resnet18 --mean 1,2", says="needs 3 numbers", heavy=True),
    case("eval --model resnet18 --std 0.5,x,0.5", says="--std '0.5,x,0.5'", heavy=True),
    case("eval --model resnet18 --checkpoint nowhere.pth", says="checkpoint 'nowhere.pth' is not a file", heavy=True),
    case("eval --model resnet18 --v2-variant bogus", says="unknown ImageNet-V2 variant 'bogus'", heavy=True),
    case("eval --model resnet18 --path imagenet=", says="expected NAME=DIR", heavy=True),
    # data
    case("data --path imagenet=", says="expected NAME=DIR"),
    case("data --path bogus=data", says="unknown dataset 'bogus'"),
    case("data --v2-variant bogus", says="unknown ImageNet-V2 variant 'bogus'"),
    # compare
    case("compare", says="Missing argument 'a'"),
    case("compare nowhere.json x.json", says="nowhere.json does not exist"),
    case("compare bad.json notes.txt", says="bad.json is not an imagenet-g results file"),
    case("compare results/package.json results/package.json", says="is not an imagenet-g results file"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_evaluation_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
