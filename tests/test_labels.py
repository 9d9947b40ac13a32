"""The label space against the facts published numbers depend on."""

import pytest

from imagenet_g import labels
from imagenet_g.errors import ImagenetGError


def test_imagenet_1k_wnids_in_index_order():
    wnids = labels.wnids()
    assert len(wnids) == 1000 and len(set(wnids)) == 1000
    assert wnids[0] == "n01440764" and labels.class_names()[0] == "tench"
    assert wnids[999] == "n15075141"


def test_unique_names_disambiguate_only_the_repeated_four():
    names, unique = labels.class_names(), labels.unique_class_names()
    assert len(set(unique)) == 1000
    changed = [i for i, (a, b) in enumerate(zip(names, unique)) if a != b]
    assert changed == [657, 744, 836, 837]
    assert unique[657] == "missile (n03773504)"


def test_templates_are_the_80_openai_ones():
    tpl = labels.templates()
    assert len(tpl) == 80
    assert tpl[0]("dog") == "a bad photo of a dog."


def test_subsets_have_published_sizes():
    assert len(labels.imagenet_r_indices()) == 200
    assert len(labels.imagenet_a_indices()) == 200
    assert len(labels.imagenet100_indices()) == 100
    assert labels.imagenet_r_indices()[:3] == (1, 2, 4)


def test_objectnet_113_classes_over_125_indices():
    mapping = labels.objectnet_mapping()
    assert len(mapping.class_to_indices) == 113
    assert len(mapping.indices) == 125
    assert mapping.class_to_indices["Alarm clock"] == (409, 530)  # analog clock, digital clock
    assert set(mapping.class_to_indices) <= set(mapping.folder_to_class.values())


def test_resolve_classes_accepts_wnids_and_indices():
    assert labels.resolve_classes(["n01443537", 0]) == (0, 1)
    assert labels.resolve_classes("imagenet-100") == labels.imagenet100_indices()


@pytest.mark.parametrize(
    "selection, match",
    [("imagenet-101", "did you mean"), (["n0144076"], "did you mean"), ([1000], "outside"), ([3, 3], "twice")],
)
def test_resolve_classes_rejects_bad_input(selection, match):
    with pytest.raises(ImagenetGError, match=match):
        labels.resolve_classes(selection)


def test_shipped_class_list_matches_timm_and_open_clip():
    """The package ships the label space (so no command needs torch for it); it must equal its sources."""
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES
    from timm.data import ImageNetInfo

    assert labels.wnids() == tuple(ImageNetInfo().label_names())
    assert labels.class_names() == tuple(IMAGENET_CLASSNAMES)


def test_shipped_templates_match_open_clip():
    from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES, SIMPLE_IMAGENET_TEMPLATES

    for shipped, source in ((labels.templates(), OPENAI_IMAGENET_TEMPLATES),
                            (labels.simple_templates(), SIMPLE_IMAGENET_TEMPLATES)):
        assert len(shipped) == len(source)
        for name in ("tench", "great white shark", "{}", "x"):
            assert [t(name) for t in shipped] == [t(name) for t in source]


def test_shipped_subset_indices_match_timm():
    from importlib import resources

    info = resources.files("timm.data").joinpath("_info")
    for shipped, file in ((labels.imagenet_r_indices(), "imagenet_r_indices.txt"),
                          (labels.imagenet_a_indices(), "imagenet_a_indices.txt")):
        assert shipped == tuple(int(v) for v in info.joinpath(file).read_text().split())
