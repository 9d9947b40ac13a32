"""Bad input to the evaluation commands: eval, data, compare."""

from __future__ import annotations

import pytest
from bad_input import EMPTY_PATH, case, ids

EVAL = "eval --model resnet18 --data-root data"

CASES = [
    # eval: models
    case("eval", says="Missing option '--model'"),
    case("eval --model ''", says="empty model id"),
    case("eval --model resnt50", says="unknown timm model 'resnt50' (did you mean: resnet50"),
    case("eval --model timm/resnt50.a1_in1k", says="unknown timm model 'resnt50'"),
    case("eval --model open_clip:ViT-B-3/openai", says="unknown open_clip model 'ViT-B-3' (did you mean: ViT-B-32"),
    case("eval --model open_clip:/openai", says="names no open_clip architecture"),
    case("eval --model nosuch.module:build", says="cannot import 'nosuch.module'"),
    case("eval --model nosuchsource:x", says="unknown model source 'nosuchsource'"),
    case("eval --model resnet18 --model resnt18", says="unknown timm model 'resnt18'"),
    case("eval --model resnet18 --checkpoint nowhere.pth", says="checkpoint 'nowhere.pth' does not exist"),
    case("eval --model resnet18 --checkpoint empty", says="checkpoint 'empty' is a folder, not a file"),
    case("eval --model resnet18 --checkpoint ''", says=EMPTY_PATH),
    # eval: numbers
    case(f"{EVAL} --device cdua", says="did you mean: cuda"),
    case(f"{EVAL} --device cuda:x", says="unknown device 'cuda:x'"),
    case(f"{EVAL} --precision fp8", says="unknown precision 'fp8'"),
    case(f"{EVAL} --tta mirror", says="unknown test-time augmentation 'mirror'"),
    case(f"{EVAL} --batch-size 0", says="'--batch-size'"),
    case(f"{EVAL} --batch-size 1000000000", says="set --batch-size"),
    case(f"{EVAL} --workers -1", says="'--workers'"),
    case(f"{EVAL} --workers 1000000", says="1,000,000 worker processes asked for"),
    case(f"{EVAL} --bootstrap -1", says="'--bootstrap'"),
    case(f"{EVAL} --bootstrap 1000000000000", says="set --bootstrap"),
    case(f"{EVAL} --crop-mode bogus", says="unknown crop mode 'bogus'"),
    case(f"{EVAL} --interpolation bogus", says="unknown interpolation 'bogus'"),
    case(f"{EVAL} --crop-pct 2", says="crop_pct 2.0 must lie in (0, 1]"),
    case(f"{EVAL} --input-size 0", says="must be positive whole pixels"),
    case(f"{EVAL} --input-size 1000000000", says="input size (3, 1000000000, 1000000000) is over 4,096 pixels a side"),
    case(f"{EVAL} --mean 1,2", says="needs 3 numbers"),
    case(f"{EVAL} --mean 5,5,5", says="mean (5.0, 5.0, 5.0) must lie in [0, 1] in every channel"),
    case(f"{EVAL} --mean nan,0.5,0.5", says="must lie in [0, 1] in every channel"),
    case(f"{EVAL} --std 2,0.5,0.5", says="std (2.0, 0.5, 0.5) must lie in (0, 1] in every channel"),
    case(f"{EVAL} --std 0.5,x,0.5", says="--std '0.5,x,0.5'"),
    case(f"{EVAL} --std 0,0,0", says="must be positive in every channel"),
    # eval: datasets and paths
    case(f"{EVAL} --datasets bogus", says="unknown dataset 'bogus'"),
    case(f"{EVAL} --datasets natural-shfit", says="did you mean: natural-shift"),
    case(f"{EVAL} --datasets ''", says="'' names nothing; set --datasets"),
    case(f"{EVAL} --datasets ,", says="',' names nothing"),
    case(f"{EVAL} --datasets imagenet-g --release v11", says="unknown release 'v11' (not built at data/imagenet-g)"),
    case(f"{EVAL} --datasets imagenet-g --release ''", says="unknown release '' (not built at data/imagenet-g)"),
    case("eval --model resnet18 --data-root empty --datasets imagenet-sketch",
         says="imagenet-sketch: imagenet-sketch not found (looked in empty/sketch"),
    case("eval --model resnet18 --data-root empty --datasets imagenet-g", says="imagenet-g: imagenet-g not found"),
    case(f"{EVAL} --v2-variant bogus", says="unknown ImageNet-V2 variant 'bogus'"),
    case("eval --model resnet18 --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case("eval --model resnet18 --data-root notes.txt", says="data_root 'notes.txt' is a file, not a folder"),
    case("eval --model resnet18 --data-root ''", says=EMPTY_PATH),
    case(f"{EVAL} --path imagenet=", says="'imagenet=' is not NAME=PATH"),
    case(f"{EVAL} --path imagenet", says="'imagenet' is not NAME=PATH"),
    case(f"{EVAL} --path imagenet=nowhere", says="imagenet path 'nowhere' does not exist"),
    case(f"{EVAL} --path imagenet=notes.txt", says="imagenet path 'notes.txt' is a file, not a folder"),
    case(f"{EVAL} --path bogus=data", says="unknown dataset 'bogus'"),
    case(f"{EVAL} --path val-on-imagenet-r-classes=data", says="is scored from imagenet's images"),
    case(f"{EVAL} --path imagenet=data/imagenet/val --path imagenet=data/sketch", says="imagenet is given twice"),
    # eval: outputs
    case(f"{EVAL} --out ''", says=EMPTY_PATH),
    case(f"{EVAL} --out-dir ''", says=EMPTY_PATH),
    case(f"{EVAL} --out empty", says="empty is a folder, where a file would be written; set --out to a file"),
    case(f"{EVAL} --out README.md", says="README.md is not an imagenet-g results file"),
    case(f"{EVAL} --out notes.txt/r.json", says="cannot write results to notes.txt/r.json: "),
    case(f"{EVAL} --out-dir notes.txt", says="out_dir 'notes.txt' is a file, not a folder; set --out-dir to a folder"),
    case(f"{EVAL} --model resnet10t --out r.json", says="out names one results file, but 2 models were given"),
    case(f"{EVAL} --release smoke --datasets imagenet-g --no-pretrained --checkpoint notes.txt", heavy=True,
         says="checkpoint 'notes.txt' cannot be read as a state dict (torch.load: "),
    case(f"{EVAL} --cache-dir ''", says=EMPTY_PATH),
    case(f"{EVAL} --cache-dir notes.txt", says="cache folder notes.txt is a file; set --cache-dir"),
    # data
    case("data --bogus", says="No such option: --bogus"),
    case("data --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case("data --data-root notes.txt", says="data_root 'notes.txt' is a file, not a folder"),
    case("data --data-root ''", says=EMPTY_PATH),
    case("data --path imagenet=", says="'imagenet=' is not NAME=PATH"),
    case("data --path =data", says="'=data' is not NAME=PATH"),
    case("data --path bogus=data", says="unknown dataset 'bogus'"),
    case("data --path imagenet=data/imagenet/val --path imagenet=data/sketch", says="imagenet is given twice"),
    case("data --v2-variant bogus", says="unknown ImageNet-V2 variant 'bogus'"),
    case("data --path imagenet-r=nowhere", says="imagenet-r path 'nowhere' does not exist"),
    case("data --path imagenet-r=notes.txt", says="imagenet-r path 'notes.txt' is a file, not a folder"),
    case("data --path val-on-imagenet-r-classes=data", says="scored from imagenet's images"),
    case("data --release v99 --data-root data", says="unknown release 'v99' (not built at data/imagenet-g)"),
    case("data --release ''", says="'' names no release; set --release to"),
    # compare
    case("compare", says="Missing argument 'a'"),
    case("compare results/resnet18.json", says="Missing argument 'b'"),
    case("compare a.json b.json c.json", says="unexpected extra argument"),
    case("compare nowhere.json x.json", says="nowhere.json does not exist"),
    case("compare '' results/resnet18.json", says=EMPTY_PATH),
    case("compare bad.json notes.txt", says="bad.json is not an imagenet-g results file"),
    case("compare results/package.json results/package.json", says="is not an imagenet-g results file"),
    case("compare notes.txt results/resnet18.json", says="notes.txt is not an imagenet-g results file"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_evaluation_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
