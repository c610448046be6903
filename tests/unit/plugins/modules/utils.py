# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module's main() in-process: arguments in, exit_json/fail_json out as exceptions.

    def test_x(monkeypatch):
        patch_exit_json(monkeypatch)                # exit_json/fail_json raise
        with set_module_args({"names": ["web-*"]}):
            result = run_module(source_vm_info.main)  # the exit_json kwargs
        failure = fail_module(source_vm_info.main)    # the fail_json kwargs

Uses ansible-core's own `ansible.module_utils.testing.patch_module_args` (2.19+).
"""

from __future__ import annotations

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class AnsibleExitJson(Exception):
    """exit_json was called; `result` holds its keyword arguments."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class AnsibleFailJson(Exception):
    """fail_json was called; `result` holds its keyword arguments (msg included)."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


def _exit_json(self, **kwargs):
    kwargs.setdefault("changed", False)
    raise AnsibleExitJson(kwargs)


def _fail_json(self, msg, **kwargs):
    kwargs["failed"] = True
    kwargs["msg"] = msg
    raise AnsibleFailJson(kwargs)


def patch_exit_json(monkeypatch):
    """Make AnsibleModule.exit_json/fail_json raise AnsibleExitJson/AnsibleFailJson."""
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", _exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", _fail_json)


@pytest.fixture
def module_exits(monkeypatch):
    """The same as a fixture (import it into a test module, or list it in a conftest)."""
    patch_exit_json(monkeypatch)


def set_module_args(args, check_mode=False):
    """Context manager: the module arguments for AnsibleModule instances created inside it."""
    args = dict(args)
    if check_mode:
        args["_ansible_check_mode"] = True
    return patch_module_args(args)


def run_module(main):
    """Call main(); return the exit_json result, or fail the test with the fail_json result."""
    try:
        main()
    except AnsibleExitJson as done:
        return done.result
    except AnsibleFailJson as failed:
        pytest.fail("module failed: %s" % failed.result)
    pytest.fail("module returned without exit_json")


def fail_module(main):
    """Call main(); return the fail_json result, or fail the test if the module succeeded."""
    try:
        main()
    except AnsibleFailJson as failed:
        return failed.result
    except AnsibleExitJson as done:
        pytest.fail("module succeeded: %s" % done.result)
    pytest.fail("module returned without fail_json")
