# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Role inputs as surveys and -e give them: typed once by the role's own argument spec."""

from __future__ import annotations

import os
import re

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.dr.asr.plugins.filter import inputs as f

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


def spec_of(role):
    with open(os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")) as handle:
        return yaml.safe_load(handle)


def test_survey_text_becomes_lists_booleans_and_numbers():
    out = f.role_inputs(dict(drill_vms="web-02", drill_recovery_plans="rp-a, rp-b\nrp-c", drill_cleanup="false",
                             drill_wait_timeout="600", drill_vault_name="rsv"), spec_of("drill"))
    assert out["drill_vms"] == ["web-02"]
    assert out["drill_recovery_plans"] == ["rp-a", "rp-b", "rp-c"]
    assert out["drill_cleanup"] is False and out["drill_wait_timeout"] == 600 and out["drill_vault_name"] == "rsv"


def test_yaml_values_stay_as_they_are():
    out = f.role_inputs(dict(drill_vms=["web-01", "web-02"], drill_cleanup=True, drill_recovery_plans=[]),
                        spec_of("drill"))
    assert out["drill_vms"] == ["web-01", "web-02"] and out["drill_cleanup"] is True and out["drill_recovery_plans"] == []


def test_an_empty_survey_answer_is_an_empty_list():
    assert f.role_inputs(dict(drill_vms=""), spec_of("drill"))["drill_vms"] == []


def test_a_value_that_does_not_convert_names_the_option_and_what_is_valid():
    with pytest.raises(AnsibleFilterError) as err:
        f.role_inputs(dict(drill_cleanup="maybe"), spec_of("drill"))
    assert "drill_cleanup" in str(err.value) and "maybe" in str(err.value) and "Valid booleans" in str(err.value)


@pytest.mark.parametrize("role", ["drill", "failover", "failback", "protect", "posture", "migrate_classic",
                                  "mobility_service"])
def test_every_list_and_bool_of_every_role_converts_from_text(role):
    options = spec_of(role)["argument_specs"]["main"]["options"]
    given, wanted = {}, {}
    for name, option in options.items():
        if option.get("type") == "list" and option.get("elements", "str") == "str" and not option.get("choices"):
            given[name], wanted[name] = "a, b", ["a", "b"]
        elif option.get("type") == "bool":
            given[name], wanted[name] = "no", False
    assert given, "the %s role has list or bool inputs" % role
    out = f.role_inputs(given, spec_of(role))
    assert dict((k, out[k]) for k in wanted) == wanted


CONDITIONS = ("when", "that", "until", "failed_when", "changed_when")


def expressions(node, key=None):
    """Every Jinja expression of a task file: conditions whole, other strings their {{ }} parts."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from expressions(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from expressions(v, key)
    elif isinstance(node, str):
        if key in CONDITIONS:
            yield node
        else:
            yield from re.findall(r"{{(.*?)}}", node, re.S)


@pytest.mark.parametrize("role", ["drill", "failover", "failback", "protect", "posture", "migrate_classic",
                                  "mobility_service"])
def test_each_role_types_every_input_that_is_not_text(role):
    """The entry task of the role passes role_inputs every option whose type is not text, and no expression of the
    role reads such an option as it came (a new list or bool option would reach the role as survey text)."""
    options = spec_of(role)["argument_specs"]["main"]["options"]
    typed = [n for n, o in options.items() if o.get("type", "str") not in ("str", "path")]
    folder = os.path.join(ROOT, "roles", role, "tasks")
    with open(os.path.join(folder, "main.yml")) as handle:
        entry = yaml.safe_load(handle)[0]
    assert entry["ansible.builtin.set_fact"] and entry["vars"]["__%s_typed_inputs" % role] == typed
    raw = re.compile(r"(?<![\w.'\"])(%s)\b(?!['\"])" % "|".join(typed))
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as handle:
            tasks = yaml.safe_load(handle)
        if name == "main.yml":
            tasks = tasks[1:]
        found = [(name, m) for e in expressions(tasks) for m in raw.findall(e)]
        assert found == []
