#!/usr/bin/env python3
"""check.py catches what it promises to: each case copies images/, breaks one thing, and expects
check.py to fail naming it. The unbroken copy passes.

    python3 images/test_check.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

IMAGES = Path(__file__).resolve().parent


def run_check(root: Path) -> tuple[int, str]:
    out = subprocess.run([sys.executable, str(IMAGES / "check.py"), str(root)], capture_output=True, text=True, timeout=300)
    return out.returncode, out.stdout + out.stderr


class CheckCatchesBrokenImages(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name) / "images"
        shutil.copytree(IMAGES, self.root, ignore=shutil.ignore_patterns("__pycache__", "check.py", "test_check.py"))

    def tearDown(self) -> None:
        self.tmp.cleanup()

    def replace(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        self.assertIn(old, text, f"{relative} no longer contains {old!r}: update this test")
        path.write_text(text.replace(old, new, 1))

    def assert_fails(self, *expected: str) -> None:
        code, out = run_check(self.root)
        self.assertEqual(code, 1, out)
        failures = [line for line in out.splitlines() if line.startswith("FAIL ")]
        for text in expected:
            self.assertTrue(any(text in f for f in failures), f"no failure mentions {text!r}:\n{out}")

    def test_the_unbroken_copy_passes(self) -> None:
        code, out = run_check(self.root)
        self.assertEqual(code, 0, out)

    def test_an_agent_too_old_for_the_config(self) -> None:
        self.replace("linux/ubuntu.pkr.hcl", 'default = "v2.4.0"', 'default = "v2.1.9"')
        self.assert_fails("linux/ubuntu.pkr.hcl", "v2.2.0 or newer")

    def test_a_boot_unit_that_would_run_beside_user_data(self) -> None:
        self.replace("linux/files/agent-stack-boot.service", "Before=cloud-final.service", "After=cloud-final.service")
        self.assert_fails("agent-stack-boot.service", "Before=cloud-final.service")

    def test_imds_v1_left_enabled(self) -> None:
        self.replace("linux/ubuntu.pkr.hcl", 'http_tokens                 = "required"', 'http_tokens                 = "optional"')
        self.assert_fails("linux/ubuntu.pkr.hcl", "IMDSv2")

    def test_an_unencrypted_build_volume(self) -> None:
        self.replace("linux/ubuntu.pkr.hcl", "encrypted             = true", "encrypted             = false")
        self.assert_fails("linux/ubuntu.pkr.hcl", "not encrypted")

    def test_a_log_group_kept_for_another_period(self) -> None:
        self.replace("linux/files/amazon-cloudwatch-agent.json", '"retention_in_days": 30', '"retention_in_days": 7')
        self.assert_fails("amazon-cloudwatch-agent.json", "retention_in_days must be 30")

    def test_a_shell_syntax_error(self) -> None:
        self.replace("linux/scripts/10-base.sh", "\n", "\nif then\n")
        self.assert_fails("linux/scripts/10-base.sh")

    def test_a_script_no_template_installs(self) -> None:
        (self.root / "linux/scripts/99-forgotten.sh").write_text("#!/usr/bin/env bash\necho forgotten\n")
        self.assert_fails("99-forgotten.sh", "not referenced")

    def test_a_watcher_that_is_not_restarted(self) -> None:
        self.replace("linux/files/agent-stack-watch.service", "Restart=always", "Restart=no")
        self.assert_fails("agent-stack-watch.service", "Restart=always")


if __name__ == "__main__":
    unittest.main(verbosity=2)
