"""A version's audit block (written by `imagenet-g audit`) sits in its card section and survives card rewrites."""

from __future__ import annotations

from imagenet_g.audit.report import add_card_section
from imagenet_g.layout import CARD_FILE, VERSION_END, VERSION_START, audit_block, audit_markers
from imagenet_g.release.publish.card import write_card


def _block(version: str, text: str) -> str:
    start, end = audit_markers(version)
    return f"{start}\n#### Audit of {version}\n\n{text}\n{end}"


def test_the_audit_block_goes_into_its_version_section_and_survives_a_rewrite(built_copy):
    card = built_copy / CARD_FILE
    add_card_section(card, _block("smoke", "first audit"), "smoke")
    text = card.read_text()
    opening = text.index(VERSION_START.format(version="smoke"))
    assert opening < text.index("first audit") < text.index(VERSION_END, opening)
    add_card_section(card, _block("smoke", "second audit"), "smoke")  # a rerun replaces the block
    assert "first audit" not in card.read_text() and card.read_text().count(audit_markers("smoke")[0]) == 1
    write_card(built_copy)  # what every build does
    text = card.read_text()
    assert audit_block(text, "smoke") == _block("smoke", "second audit")
    assert text.index("second audit") < text.index(VERSION_END, text.index(VERSION_START.format(version="smoke")))
