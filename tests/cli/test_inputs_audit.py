"""Bad input to the audit commands: audit, audit compare."""

from __future__ import annotations

import pytest
from bad_input import EMPTY_PATH, case, ids

AUDIT = "audit --release smoke --data-root data"

CASES = [
    # audit: names
    case(f"{AUDIT} --fid-extractor bogus", says="unknown fidelity extractor 'bogus'"),
    case(f"{AUDIT} --fid-extractor clip:ViT-B-3/openai", says="unknown open_clip model 'ViT-B-3'"),
    case(f"{AUDIT} --clip-model bogus", says="unknown CLIP extractor 'bogus'"),
    case(f"{AUDIT} --clip-model clip:ViT-B-3/openai", says="did you mean: ViT-B-32"),
    case(f"{AUDIT} --clip-model random-cnn", says="'random-cnn' is not a CLIP model"),
    case(f"{AUDIT} --safety-checker bogus", says="unknown safety checker 'bogus'"),
    case(f"{AUDIT} --templates bogus", says="unknown template set 'bogus'"),
    case(f"{AUDIT} --device cdua", says="did you mean: cuda"),
    case(f"{AUDIT} --shift-sets ''", says="'' names nothing; set --shift-sets"),
    case(f"{AUDIT} --shift-sets bogus", says="unknown dataset 'bogus'"),
    case(f"{AUDIT} --shift-sets imagenet-r,val-on-imagenet-a-classes", says="name imagenet instead"),
    case(f"{AUDIT} --reference bogus", says="unknown dataset 'bogus'"),
    case(f"{AUDIT} --reference val-on-imagenet-r-classes", says="name imagenet instead"),
    # audit: numbers
    case(f"{AUDIT} --kid-subsets 0", says="'--kid-subsets'"),
    case(f"{AUDIT} --kid-subsets 1000000000", says="set --kid-subsets"),
    case(f"{AUDIT} --kid-subset-size 1", says="'--kid-subset-size'"),
    case(f"{AUDIT} --duplicate-threshold 2", says="duplicate_threshold: Input should be less than or equal to 1"),
    case(f"{AUDIT} --memorisation-threshold -2", says="set --memorisation-threshold"),
    case(f"{AUDIT} --consistency-threshold 101", says="set --consistency-threshold"),
    case(f"{AUDIT} --batch-size 0", says="'--batch-size'"),
    case(f"{AUDIT} --workers -1", says="'--workers'"),
    case(f"{AUDIT} --workers 1000000", says="1,000,000 worker processes asked for"),
    # audit: paths
    case("audit --release smoke --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case("audit --release smoke --data-root notes.txt", says="data_root 'notes.txt' is a file, not a folder"),
    case("audit --release smoke --data-root ''", says=EMPTY_PATH),
    case(f"{AUDIT} --path imagenet", says="'imagenet' is not NAME=PATH"),
    case(f"{AUDIT} --path imagenet=nowhere", says="imagenet path 'nowhere' does not exist"),
    case(f"{AUDIT} --path imagenet=data/imagenet/val --path imagenet=data/sketch", says="imagenet is given twice"),
    case(f"{AUDIT} --inception-weights nowhere.pth", says="inception_weights 'nowhere.pth' does not exist"),
    case(f"{AUDIT} --inception-weights empty", says="inception_weights 'empty' is a folder, not a file"),
    case(f"{AUDIT} --safety-weights notes.txt", says="safety_weights 'notes.txt' is a file, not a folder"),
    case(f"{AUDIT} --cache-dir notes.txt", says="cache folder notes.txt is a file; set --cache-dir"),
    case(f"{AUDIT} --out ''", says=EMPTY_PATH),
    case(f"{AUDIT} --out notes.txt", says="notes.txt is a file, where an audit folder (it has no audit.json) would be"),
    case(f"{AUDIT} --out results", says="results holds package.json, resnet18.json and is not an audit folder"),
    # audit: the release
    case("audit --release v11 --data-root data",
         says="unknown release 'v11' (not built at data/imagenet-g); choose one of: smoke, or build release v11 first"),
    case("audit --release '' --data-root data", says="unknown release '' (not built at data/imagenet-g); choose one of: smoke"),
    case("audit --release smoke --data-root empty", says="no release folder at empty/imagenet-g; build release smoke first"),
    # audit compare
    case("audit compare", says="Missing argument 'a'"),
    case("audit compare nowhere.json x.json", says="does not exist"),
    case("audit compare bad.json bad.json", says="bad.json is not an audit JSON"),
    case("audit compare v99 v98 --data-root data", says="data/imagenet-g/audits/v99/audit.json does not exist"),
    case("audit compare v11 bad.json --data-root data", says="unknown release 'v11' (no file or folder 'v11', and "
         "data/imagenet-g/audits/v11/audit.json does not exist); give an audit.json or its folder"),
    case("audit compare '' bad.json", says="an empty string names no audit JSON, audit folder or release"),
    case("audit compare bad.json bad.json --data-root notes.txt", says="data_root 'notes.txt' is a file, not a folder"),
    case("audit compare bad.json bad.json --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case("audit compare --classes -1 a b", says="'--classes'"),
    case("audit compare a b --data-root ''", says=EMPTY_PATH),
    case("audit compare results/resnet18.json results/resnet18.json", says="is not an audit JSON"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_audit_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
