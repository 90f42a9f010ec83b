"""The wcount command line."""

import argparse


def count_words(text):
    return len(text.split())


def build_parser():
    parser = argparse.ArgumentParser(
        prog="wcount", description="Count the words in text files."
    )
    parser.add_argument("files", nargs="+", help="files to count")
    return parser


def main(argv=None, out=None):
    args = build_parser().parse_args(argv)
    total = 0
    for name in args.files:
        with open(name, encoding="utf-8") as handle:
            count = count_words(handle.read())
        total += count
        print(f"{count:>8} {name}", file=out)
    if len(args.files) > 1:
        print(f"{total:>8} total", file=out)
    return 0
