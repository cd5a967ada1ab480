#!/bin/sh
# The fleet benchmark (issue 14): see server-enroll.py and tests/bench/README.md.
#   tests/bench/server-enroll.sh [--baseline REV | --no-baseline] [--threads T] [--max-connections M]
#                                [--attempts A] [--connect-timeout S] [--ca-key rsa|ec] [--profile] [N ...]
exec python3 "$(dirname "$0")/server-enroll.py" "$@"
