"""Bad input to the sweep commands: sweep, sweep compare, models, and leaderboard add --from-sweep."""

from __future__ import annotations

import pytest
from bad_input import EMPTY_PATH, case, ids

SWEEP = "sweep --models models/ok.txt --release smoke --data-root data"
COMPARE = "sweep compare sweeps/smoke sweeps/v1"
FROM_SWEEP = "leaderboard add --root leaderboard --from-sweep"

CASES = [
    # sweep: the models
    case("sweep", says="give --models SET|FILE"),
    case("sweep --models ''", says="an empty string names no model set or file; set --models"),
    case("sweep --models no-such-set", says="unknown model set 'no-such-set'"),
    case("sweep --models nowhere.txt", says="cannot read model file nowhere.txt"),
    case("sweep --models empty", says="models 'empty' is a folder, not a model file"),
    case("sweep --models model.safetensors", says="cannot read model file model.safetensors"),
    case("sweep --models models/typo.txt", says="models/typo.txt:2: unknown timm model 'test_resnt' (did you mean: "
         "test_resnet"),
    case("sweep --models models/empty.txt", says="model file models/empty.txt lists no model"),
    case("sweep --models models/dup.txt", says="'test_vit' is listed twice with different overrides (lines 1, 2)"),
    case("sweep --models models/bad-option.txt", says="models/bad-option.txt:1: unknown model file option '--crop'"),
    case("sweep --models models/ok.txt --filter 'x*'", says="the filters keep no model of models/ok.txt"),
    case("sweep --models models/ok.txt --filter ''", says="an empty pattern matches no model id; set --filter"),
    case("sweep --models testbed-standard --exclude ''", says="an empty pattern matches no model id; set --exclude"),
    case("sweep --models models/ok.txt --max-params 0", says="a parameter budget of 0.0 million keeps no model"),
    case("sweep --models models/ok.txt --max-params nan", says="set --max-params to a positive number"),
    # sweep: executors and job arrays
    case(f"{SWEEP} --executor slurm", says="unknown executor 'slurm'; set --executor to one of: local, ray"),
    case(f"{SWEEP} --executor rya", says="did you mean: ray"),
    case(f"{SWEEP} --address auto", says="apply to the ray executor; set --executor ray"),
    case(f"{SWEEP} --gpus-per-task 1", says="apply to the ray executor"),
    case(f"{SWEEP} --executor ray --gpus-per-task 4", says="set --gpus-per-task"),
    case(f"{SWEEP} --gpus-per-task -1", says="'--gpus-per-task'"),
    case(f"{SWEEP} --job-index 0", says="give --job-index and --num-jobs together"),
    case(f"{SWEEP} --job-index 2 --num-jobs 2", says="job index 2 is out of range for 2 jobs"),
    case(f"{SWEEP} --job-index 0 --num-jobs 0", says="a job array needs at least 1 job"),
    case(f"{SWEEP} --job-index 0 --num-jobs 2", says="2 jobs are more than the 1 model groups"),
    case(f"{SWEEP} --executor ray --job-index 0 --num-jobs 1", says="a job array runs each job's share locally"),
    # sweep: numbers and names
    case(f"{SWEEP} --batch-size 0", says="'--batch-size'"),
    case(f"{SWEEP} --batch-size 1000000000", says="set --batch-size"),
    case(f"{SWEEP} --group-size 0", says="'--group-size'"),
    case(f"{SWEEP} --group-size 100000", says="set --group-size"),
    case(f"{SWEEP} --workers 1000000", says="1,000,000 worker processes asked for"),
    case(f"{SWEEP} --bootstrap -1", says="'--bootstrap'"),
    case(f"{SWEEP} --bootstrap 1000000000000", says="set --bootstrap"),
    case(f"{SWEEP} --device cdua", says="did you mean: cuda"),
    case(f"{SWEEP} --precision fp8", says="unknown precision 'fp8'"),
    # sweep: datasets and paths
    case(f"{SWEEP} --datasets bogus", says="unknown dataset 'bogus'"),
    case(f"{SWEEP} --datasets ''", says="'' names nothing; set --datasets"),
    case(f"{SWEEP} --v2-variant bogus", says="unknown ImageNet-V2 variant 'bogus'"),
    case(f"{SWEEP} --path imagenet=nowhere", says="imagenet path 'nowhere' does not exist"),
    case(f"{SWEEP} --path imagenet=", says="'imagenet=' is not NAME=PATH"),
    case(f"{SWEEP} --path imagenet=data/imagenet/val --path imagenet=data/sketch", says="imagenet is given twice"),
    case("sweep --models models/ok.txt --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case("sweep --models models/ok.txt --data-root notes.txt", says="data_root 'notes.txt' is a file, not a folder"),
    case("sweep --models models/ok.txt --data-root ''", says=EMPTY_PATH),
    case("sweep --models models/ok.txt --release v11 --data-root data",
         says="unknown release 'v11' (not built at data/imagenet-g); choose one of: smoke, or build release v11 first"),
    case("sweep --models models/ok.txt --release '' --data-root data --datasets imagenet-g --out-dir fresh",
         says="unknown release '' (not built at data/imagenet-g); choose one of: smoke"),
    case("sweep --models models/ok.txt --data-root empty --datasets imagenet-g",
         says="imagenet-g not found (looked in empty/imagenet-g; set its path with --path imagenet-g=DIR)"),
    case("sweep --models models/ok.txt --data-root empty --datasets val-on-imagenet-r-classes",
         says="val-on-imagenet-r-classes: imagenet not found (looked in empty/imagenet/val"),
    # sweep: its folder and the cache
    case(f"{SWEEP} --out-dir ''", says=EMPTY_PATH),
    case(f"{SWEEP} --out-dir notes.txt", says="notes.txt is a file, where a sweep folder"),
    case(f"{SWEEP} --out-dir results", says="results holds package.json, resnet18.json and is not a sweep folder"),
    case(f"{SWEEP} --out-dir .", says="is not a sweep folder"),
    case("sweep --models models/ok.txt --release v1 --data-root data --out-dir sweeps/smoke",
         says="sweeps/smoke holds the sweep of release smoke, not v1"),
    case(f"{SWEEP} --cache-dir ''", says=EMPTY_PATH),
    case(f"{SWEEP} --cache-dir notes.txt", says="cache folder notes.txt is a file"),
    # sweep compare
    case("sweep compare", says="Missing argument 'dir_a'"),
    case("sweep compare sweeps/smoke", says="Missing argument 'dir_b'"),
    case("sweep compare '' sweeps/v1", says=EMPTY_PATH),
    case("sweep compare nowhere sweeps/v1", says="nowhere is not a sweep folder (no sweep.json)"),
    case("sweep compare notes.txt sweeps/v1", says="notes.txt is not a sweep folder"),
    case("sweep compare sweeps/smoke results", says="results is not a sweep folder"),
    case("sweep compare sweeps/smoke sweeps/failed", says="the sweeps share 0 models scored on imagenet-g"),
    case(f"{COMPARE} --dataset bogus", says="unknown dataset 'bogus'"),
    case(f"{COMPARE} --dataset imagenet-a", says="the sweeps share 0 models scored on imagenet-a"),
    case(f"{COMPARE} --bootstrap -1", says="'--bootstrap'"),
    case(f"{COMPARE} --bootstrap 1000000000000", says="set --bootstrap to 0..100,000"),
    case(f"{COMPARE} --out-dir ''", says=EMPTY_PATH),
    case(f"{COMPARE} --out-dir notes.txt", says="notes.txt is a file, where a sweep folder or a folder of comparisons"),
    case(f"{COMPARE} --out-dir results", says="results holds package.json, resnet18.json and is not a sweep folder"),
    case(f"{COMPARE} --out-dir reports", says="reports holds compare-smoke-imagenet-g.md and is not a sweep folder"),
    case(COMPARE, says="compare-smoke-imagenet-g.md was not written by `imagenet-g sweep compare`"),
    # models
    case("models --bogus", says="No such option: --bogus"),
    case("models --set ''", says="an empty string names no model set or file"),
    case("models --set no-such-set", says="unknown model set 'no-such-set'; set --models to one of: testbed-standard"),
    case("models --set timm_in1k", says="unknown model set 'timm_in1k' (did you mean: timm-in1k"),
    case("models --set nowhere.txt", says="cannot read model file nowhere.txt"),
    case("models --set empty", says="models 'empty' is a folder, not a model file"),
    case("models --set models/typo.txt", says="unknown timm model 'test_resnt'"),
    case("models --set models/empty.txt", says="lists no model"),
    case("models --set models/dup.txt", says="listed twice with different overrides"),
    case("models --set testbed-standard --max-params 0", says="keeps no model; set --max-params"),
    case("models --set testbed-standard --max-params 0.001", says="the filters keep no model of testbed-standard"),
    case("models --set testbed-standard --filter ''", says="an empty pattern matches no model id; set --filter"),
    case("models --set testbed-standard --filter 'nothing*'", says="the filters keep no model of testbed-standard"),
    case("models --filter 'resnet*'", says="--filter, --exclude and --max-params select models of a set: give --set"),
    # leaderboard add --from-sweep
    case("leaderboard add", says="Missing argument 'RESULTS' (or give --from-sweep DIR)"),
    case(f"{FROM_SWEEP} ''", says=EMPTY_PATH),
    case(f"{FROM_SWEEP} nowhere", says="nowhere is not a sweep folder (no sweep.json)"),
    case(f"{FROM_SWEEP} notes.txt", says="notes.txt is not a sweep folder"),
    case(f"{FROM_SWEEP} results", says="results is not a sweep folder"),
    case(f"{FROM_SWEEP} sweeps/failed", says="the sweep in sweeps/failed has no scored model"),
    case(f"{FROM_SWEEP} sweeps/smoke --name mine", says="--name describe one results file"),
    case(f"{FROM_SWEEP} sweeps/smoke --standard", says="--standard describe one results file"),
    case("leaderboard add results/resnet18.json --from-sweep sweeps/smoke", says="RESULTS describe one results file"),
    case(f"{FROM_SWEEP} sweeps/smoke --category bogus", says="unknown category 'bogus'"),
    case(f"{FROM_SWEEP} sweeps/smoke --dataset-dir notes.txt", says="is a file, not a folder"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_sweep_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
