#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu 22.04 by
# default): install every package ExoLab needs, with the handout's own installer, which
# knows Debian 12 and Ubuntu 22.04/24.04 package names (hw/host/deps.sh), and create the
# unprivileged user the submission's code runs as (exolab-student; privsep.py).
set -euo pipefail
cd "$(dirname "$0")"
handout/hw/host/deps.sh
python3 autograder.py --setup-user
