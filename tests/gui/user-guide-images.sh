#!/bin/sh
# Remakes the user guide's pictures, docs/images/en/*.png and docs/images/ja/*.png: every window of
# certlink-handler and certlink-manager on a 1280 x 720 screen, in English and Japanese, as gui-window-sizes
# (tests/gui/test_window_sizes.py) walks them against the reference server. The full-colour pictures stay
# in the build tree (tests/gui/artifacts/window-sizes/); docs/ gets 256-colour copies. The homes shown are
# /home/en-akira, /home/ja-akira (and -chiyo for the wizard): they must not exist, and are removed after.
#   tests/gui/user-guide-images.sh [BUILD_DIR]      (default build-test; configured with the GUI tests)
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$src/build-test}
mkdir -p "$src/docs/images"
cd "$build"
CERTLINK_DOCS_IMAGES="$src/docs/images" ctest -R '^gui-window-sizes$' --output-on-failure
du -sh "$src/docs/images"/*
