"""Warnings of libraries we call that contradict what we do are silenced where we call them, and only there."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

from imagenet_g.progress import quiet_root_logger


def test_the_safety_checker_says_nothing_of_black_images_where_we_run_it(capfd):
    """diffusers' checker warns "a black image will be returned" when it flags one; build and audit run it as a
    classifier on a placeholder, so the warning would be false: it is silenced there (tiny checker, forced flags)."""
    import numpy as np
    import torch

    from imagenet_g.progress import quiet_safety_checker
    from imagenet_g.tiny_models import safety_checker

    checker = safety_checker()
    checker.concept_embeds_weights.data[:] = -10  # every image over every threshold: flagged
    size = checker.config.vision_config.image_size
    clip_input = torch.randn(2, 3, size, size)
    capfd.readouterr()
    with quiet_safety_checker():
        _, flagged = checker(clip_input=clip_input, images=np.zeros((2, 1, 1, 3)))
    assert list(flagged) == [True, True]
    assert "black image" not in capfd.readouterr().err
    from diffusers.utils import logging as diffusers_logging

    verbosity = diffusers_logging.get_verbosity()  # a build earlier in this process set it to errors only
    diffusers_logging.set_verbosity_warning()
    try:
        checker(clip_input=clip_input, images=np.zeros((2, 1, 1, 3)))
    finally:
        diffusers_logging.set_verbosity(verbosity)
    assert "black image" in capfd.readouterr().err  # outside our call the library speaks as it always did


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
