"""Bad input to the training commands: train, recipes. Every case must fail before the first step."""

from __future__ import annotations

import pytest
from bad_input import EMPTY_PATH, case, ids

TRAIN = "train --out run --recipe smoke"
REAL_ONLY = f"{TRAIN} --policy real-only --real data/imagenet/val"

CASES = [
    # train: the recipe and the model
    case("train", says="Missing option '--out'"),
    case("train --out ''", says=EMPTY_PATH),
    case("train --out run --recipe bogus", says="unknown recipe 'bogus'"),
    case("train --out run --recipe smok", says="did you mean: smoke"),
    case("train --out run --recipe recipe.yaml", says="recipe recipe.yaml: optimizer: Field required"),
    case(f"{TRAIN} --set bogus=1", says="bogus: unknown key"),
    case(f"{TRAIN} --set x", says="--set 'x' is not KEY=VALUE"),
    case(f"{TRAIN} --set schedule.epochs=0", says="schedule.epochs"),
    case(f"{TRAIN} --set schedule.epochs=100000000000",
         says="schedule.epochs: Input should be less than or equal to 10000"),
    case(f"{TRAIN} --set data.batch_size=99999999999",
         says="data.batch_size: Input should be less than or equal to 65536"),
    case(f"{REAL_ONLY} --set model.arch=resnt18", says="unknown timm model 'resnt18'"),
    # train: the data
    case(f"{TRAIN} --policy bogus", says="policy: Input should be"),
    case(f"{TRAIN} --policy fraction --generated-fraction 2", says="generated_fraction"),
    case(f"{TRAIN} --policy fraction", says="generated_fraction is needed by the fraction policy"),
    case(f"{TRAIN} --real-per-class 0", says="real_per_class"),
    case(TRAIN, says="the concat policy needs a real set"),
    case(f"{TRAIN} --real data/imagenet/val", says="the concat policy needs a generated release split"),
    case(f"{TRAIN} --policy real-only --real nowhere", says="real set 'nowhere' is neither a folder nor a Hub id"),
    case(f"{TRAIN} --policy real-only --real empty", says="real set empty has no class folders"),
    case(f"{TRAIN} --policy real-only --real data", says="folder 'imagenet' in data is not an ImageNet wnid"),
    case(f"{REAL_ONLY} --generated smoke", says="the real-only policy uses no generated split"),
    case(f"{TRAIN} --policy generated-only --generated smoke", says="release smoke is not built in imagenet-g"),
    case(f"{TRAIN} --policy generated-only --generated smoke --dataset-dir data/imagenet-g",
         says="release smoke has no 'train' split"),
    case(f"{TRAIN} --policy generated-only --generated :test", says="names no release"),
    case(f"{TRAIN} --policy generated-only --generated smoke --dataset-dir ''", says=EMPTY_PATH),
    # train: where it runs and writes
    case(f"{REAL_ONLY} --device cdua", says="did you mean: cuda"),
    case("train --out notes.txt --recipe smoke --policy real-only --real data/imagenet/val",
         says="out 'notes.txt' is a file, not a folder"),
    case("train --out results --recipe smoke --policy real-only --real data/imagenet/val",
         says="is not a training run folder (it has no training-record.json)"),
    # train: the evaluation after training, checked before it
    case(f"{REAL_ONLY} --eval-datasets bogus", says="unknown dataset 'bogus'"),
    case(f"{REAL_ONLY} --eval-datasets ''", says="'' names nothing; set --eval-datasets"),
    case(f"{REAL_ONLY} --eval-datasets imagenet --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case(f"{REAL_ONLY} --eval-datasets imagenet --path imagenet=nowhere", says="imagenet path 'nowhere' does not exist"),
    case(f"{REAL_ONLY} --eval-datasets imagenet --path imagenet", says="'imagenet' is not NAME=PATH"),
    case(f"{REAL_ONLY} --eval-datasets imagenet-g --data-root data --release v11",
         says="unknown release 'v11' (not built at data/imagenet-g)"),
    case(f"{REAL_ONLY} --eval-datasets imagenet-sketch --data-root empty",
         says="imagenet-sketch: imagenet-sketch not found (looked in empty/sketch"),
    case(f"{REAL_ONLY} --eval-datasets imagenet-g", says="imagenet-g: imagenet-g not found"),
    case(f"{REAL_ONLY} --path noequals", says="'noequals' is not NAME=PATH"),
    case(f"{REAL_ONLY} --release v11", says="--release is used only with --eval-datasets; set --eval-datasets"),
    case(f"{REAL_ONLY} --data-root data --path imagenet=data/imagenet",
         says="--path/--data-root are used only with --eval-datasets"),
    # recipes
    case("recipes --bogus", says="No such option: --bogus"),
    case("recipes extra", says="unexpected extra argument"),
    case("recipes --json=yes", says="--json"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_training_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
