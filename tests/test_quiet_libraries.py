"""Warnings of libraries we call that contradict what we do are silenced where we call them, and only there."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

from imagenet_g.progress import quiet_root_logger


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_the_safety_checker_says_nothing_of_black_images_where_we_run_it():
    """diffusers' checker warns "a black image will be returned" when it flags one; build and audit run it as a
    classifier on a placeholder, so the warning would be false: it is silenced there (tiny checker, forced flags).
    The records are caught by a handler of the test's own: diffusers' stderr handler keeps the stream it was made
    with, which in a long test session may be another test's capture."""
    import numpy as np
    import torch
    from diffusers.utils import logging as diffusers_logging

    from imagenet_g.progress import quiet_safety_checker
    from imagenet_g.tiny_models import safety_checker

    checker = safety_checker()
    checker.concept_embeds_weights.data[:] = -10  # every image over every threshold: flagged
    size = checker.config.vision_config.image_size
    clip_input = torch.randn(2, 3, size, size)
    logger = logging.getLogger("diffusers.pipelines.stable_diffusion.safety_checker")
    records, verbosity = _Records(), diffusers_logging.get_verbosity()
    logger.addHandler(records)
    diffusers_logging.set_verbosity_warning()  # a build earlier in the session may have lowered it to errors
    try:
        with quiet_safety_checker():
            _, flagged = checker(clip_input=clip_input, images=np.zeros((2, 1, 1, 3)))
        assert list(flagged) == [True, True]
        assert records.messages == []
        checker(clip_input=clip_input, images=np.zeros((2, 1, 1, 3)))
    finally:
        logger.removeHandler(records)
        diffusers_logging.set_verbosity(verbosity)
    assert any("black image" in m for m in records.messages)  # outside our call the library speaks as always


def test_root_logger_records_are_dropped_and_no_handler_is_left():
    # a fresh interpreter: the root logger has no handler yet, as in the CLI
    code = textwrap.dedent("""
        import logging
        from imagenet_g.progress import quiet_root_logger
        with quiet_root_logger():
            logging.error("Failed to download weights")  # open_clip's way
        print(len(logging.getLogger().handlers))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "" and done.stdout.strip() == "0", (done.stdout, done.stderr)


def test_root_logger_speaks_again_afterwards(caplog):
    with quiet_root_logger():
        logging.getLogger().error("hidden")
    logging.getLogger().error("shown")
    assert [r.getMessage() for r in caplog.records] == ["shown"]
