"""``python -m imagenet_g``: the same command line as ``imagenet-g``."""

from imagenet_g.cli import main

if __name__ == "__main__":
    main()
