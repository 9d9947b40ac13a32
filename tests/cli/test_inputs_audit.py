"""Bad input to the audit commands: audit, audit compare."""

from __future__ import annotations

import pytest
from bad_input import case, ids

AUDIT = "audit --release smoke --data-root data"

CASES = [
    # audit
    case(f"{AUDIT} --fid-extractor bogus", says="unknown fidelity extractor 'bogus'", heavy=True),
    case(f"{AUDIT} --clip-model bogus", says="unknown CLIP extractor 'bogus'", heavy=True),
    case(f"{AUDIT} --safety-checker bogus", says="unknown safety checker 'bogus'", heavy=True),
    case(f"{AUDIT} --templates bogus", says="unknown template set 'bogus'", heavy=True),
    case(f"{AUDIT} --device cdua", says="did you mean: cuda", heavy=True),
    case(f"{AUDIT} --shift-sets bogus", says="unknown dataset 'bogus'", heavy=True),
    case(f"{AUDIT} --reference bogus", says="unknown dataset 'bogus'", heavy=True),
    case(f"{AUDIT} --reference val-on-imagenet-r-classes", says="name imagenet instead", heavy=True),
    case(f"{AUDIT} --kid-subsets 0", says="'--kid-subsets'"),
    case(f"{AUDIT} --path imagenet", says="expected NAME=DIR", heavy=True),
    # audit compare
    case("audit compare nowhere.json x.json", says="does not exist"),
    case("audit compare bad.json bad.json", says="bad.json is not an audit JSON"),
    case("audit compare v99 v98 --data-root data", says="data/imagenet-g/v99/audit/audit.json does not exist"),
    case("audit compare --classes -1 a b", says="'--classes'"),
]


@pytest.mark.parametrize("bad", CASES, ids=ids(CASES))
def test_audit_commands_refuse_bad_input_in_one_line(bad, run_case):
    run_case(bad)
