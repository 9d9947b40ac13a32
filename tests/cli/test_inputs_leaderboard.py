"""Bad input to the leaderboard commands: validate, add, build, show, verify."""

from __future__ import annotations

import pytest
from bad_input import EMPTY_PATH, case, ids

ADD = "leaderboard add results/resnet18.json --name ResNet --root leaderboard"
VERIFY = "leaderboard verify resnet18 --root leaderboard"

CASES = [
    # leaderboard (the group itself)
    case("leaderboard", says="imagenet-g leaderboard needs a command"),
    # validate
    case("leaderboard validate", says="Missing argument 'files'"),
    case("leaderboard validate nowhere.json", says="nowhere.json: no such file"),
    case("leaderboard validate bad.json", says="bad.json: not valid JSON"),
    case("leaderboard validate ''", says=EMPTY_PATH),
    case("leaderboard validate empty", says="no submission files"),
    case("leaderboard validate leaderboard/submissions --dataset-dir notes.txt", says="is a file, not a folder"),
    case("leaderboard validate leaderboard/submissions --dataset-dir nowhere", says="dataset_dir 'nowhere' does not exist"),
    case("leaderboard validate leaderboard/submissions --specs-dir empty", says="empty holds no release spec"),
    # add
    case("leaderboard add nowhere.json --name x", says="nowhere.json: no such results file"),
    case("leaderboard add bad.json --name x", says="bad.json: not valid JSON"),
    case("leaderboard add results/resnet18.json", says="Missing option '--name'"),
    case("leaderboard add leaderboard/submissions/smoke/resnet18.json --name x", says="is already a submission"),
    case(f"{ADD} --category bogus", says="category: Input should be 'real'"),
    case(f"{ADD} --category real --paper notalink", says="paper"),
    case(f"{ADD} --category real --root ''", says=EMPTY_PATH),
    case(f"{ADD} --category real --dataset-dir notes.txt", says="dataset_dir 'notes.txt' is a file, not a folder"),
    case(f"{ADD} --category real --dataset-dir nowhere", says="dataset_dir 'nowhere' does not exist"),
    case(f"{ADD} --category real --release v99", says="release: unknown release 'v99'"),
    # build
    case("leaderboard build --root nowhere", says="no leaderboard at nowhere"),
    case("leaderboard build --root notes.txt", says="no leaderboard at notes.txt"),
    case("leaderboard build --root ''", says=EMPTY_PATH),
    case("leaderboard build --root leaderboard --bootstrap -1", says="'--bootstrap'"),
    case("leaderboard build --root leaderboard --bootstrap 1000000000000", says="set --bootstrap to 0..100,000"),
    case("leaderboard build --root leaderboard --dataset-dir notes.txt", says="is a file, not a folder"),
    case("leaderboard build --root leaderboard --dataset-dir nowhere", says="dataset_dir 'nowhere' does not exist"),
    case("leaderboard build --root leaderboard --specs-dir empty", says="empty holds no release spec"),
    # show
    case("leaderboard show --root nowhere", says="no leaderboard at nowhere"),
    case("leaderboard show --root ''", says=EMPTY_PATH),
    case("leaderboard show --root leaderboard --release v99", says="unknown release 'v99'"),
    case("leaderboard show --root leaderboard --limit -1", says="'--limit'"),
    case("leaderboard show --root leaderboard --dataset-dir notes.txt", says="is a file, not a folder"),
    case("leaderboard show --root leaderboard --dataset-dir nowhere", says="dataset_dir 'nowhere' does not exist"),
    case("leaderboard show --root leaderboard --specs-dir empty", says="empty holds no release spec"),
    # verify
    case("leaderboard verify", says="Missing argument 'key'"),
    case("leaderboard verify bogus --root leaderboard", says="unknown submission 'bogus'"),
    case("leaderboard verify resnet18 --root nowhere", says="unknown submission 'resnet18'"),
    case("leaderboard verify resnet18 --root nowhere/board", says="under nowhere/board: no leaderboard there "
         "(nowhere/board/submissions is not a folder); set --root to a leaderboard folder"),
    case("leaderboard verify resnet18 --root empty", says="under empty: no leaderboard there"),
    case(f"{VERIFY} --release v99", says="unknown submission 'resnet18' in release 'v99'"),
    case(f"{VERIFY} --tolerance -1", says="'--tolerance'"),
    case(f"{VERIFY} --device cdua", says="did you mean: cuda"),
    case(f"{VERIFY} --workers 1000000", says="1,000,000 worker processes asked for"),
    case(f"{VERIFY} --data-root nowhere", says="data_root 'nowhere' does not exist"),
    case(f"{VERIFY} --data-root notes.txt", says="data_root 'notes.txt' is a file, not a folder"),
    case(f"{VERIFY} --data-root empty", heavy=True,  # looked for by the eval, before the model is loaded
         says="imagenet-g: imagenet-g not found (looked in empty/imagenet-g"),
    case(f"{VERIFY} --path imagenet-g=nowhere", says="imagenet-g path 'nowhere' does not exist"),
    case(f"{VERIFY} --checkpoint nowhere.pth", says="checkpoint 'nowhere.pth' does not exist"),
    case(f"{VERIFY} --out ''", says=EMPTY_PATH),
    case(f"{VERIFY} --out empty", says="empty is a folder, where a file would be written; set --out to a file"),
    case(f"{VERIFY} --out README.md", says="README.md is not an imagenet-g results file"),
    case(f"{VERIFY} --data-root data --checkpoint notes.txt", heavy=True,
         says="checkpoint 'notes.txt' cannot be read as a state dict (torch.load: "),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_leaderboard_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
