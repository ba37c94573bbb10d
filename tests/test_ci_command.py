"""CI runs exactly the test command the README gives, and that command installs no recommended extras."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    """.ci/run holds, as one line, the README's test command, which installs with --no-install-recommends."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("Run the whole test suite", 1)[1]
    command = re.search(r"```sh\n(.+?)\n```", section, re.S).group(1).strip()
    assert "apt-get install -y --no-install-recommends chromium fonts-wqy-microhei" in command
    assert command in (ROOT / ".ci/run").read_text().splitlines()
