# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inputs of a dr.asr role, typed as its argument spec says (controller side, pure).

An AWX survey answer and an `-e key=value` arrive as text: `drill_vms=web-02` is the string "web-02" (a loop over it
gives w, e, b, ...), `drill_cleanup=false` the string "false" (true in a condition). Ansible validates role arguments
against meta/argument_specs.yml but leaves the variables as they came, and a role cannot overwrite an extra var. So
each role converts its inputs once, at its entry, into one fact of its own (`__<role>_in`) and reads them from there:

    role_inputs   {option: value} typed by the role's argument spec entry point - lists from YAML lists or comma /
                  newline separated text, booleans and numbers from text - with the same converters Ansible uses to
                  validate them; a value that does not convert fails naming the option, the value and what is valid
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

#: argument spec keys Ansible's validator knows (the role spec's description, version_added... are documentation)
_SPEC_KEYS = ("type", "elements", "default", "choices", "required", "options", "no_log", "aliases")


def _spec(options):
    out = {}
    for name, option in (options or {}).items():
        option = dict(option or {})
        spec = dict((k, v) for k, v in option.items() if k in _SPEC_KEYS and k != "options")
        if option.get("options"):
            spec["options"] = _spec(option["options"])
        # presence is checked by Ansible's own validation of the role arguments; here only the types
        spec.pop("required", None)
        out[name] = spec
    return out


def _text_list(value):
    """A list written as text: one entry per line or comma, blanks dropped ("web-01, web-02" or "web-01\\nweb-02")."""
    parts = []
    for line in value.replace("\r", "\n").split("\n"):
        parts.extend(p.strip() for p in line.split(","))
    return [p for p in parts if p]


def role_inputs(values, argument_specs, entry_point="main"):
    """`values` ({option: value as given}) typed by `argument_specs` (the role's meta/argument_specs.yml, parsed)."""
    specs = (argument_specs or {}).get("argument_specs") or argument_specs or {}
    options = (specs.get(entry_point) or {}).get("options") or {}
    spec = _spec(options)
    given = {}
    for name, value in (values or {}).items():
        if name not in spec:
            continue
        if spec[name].get("type") == "list" and isinstance(value, str):
            value = _text_list(value)
        if value is None and "default" in spec[name]:
            value = spec[name]["default"]
        given[name] = value
    result = ArgumentSpecValidator(spec).validate(given)
    if result.error_messages:
        raise AnsibleFilterError("Invalid role input: %s" % "; ".join(result.error_messages))
    # the given options only: the spec's defaults are the role's own defaults (already in `values`)
    return dict((k, v) for k, v in result.validated_parameters.items() if k in given)


class FilterModule(object):
    def filters(self):
        return dict(role_inputs=role_inputs)
