# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The targets an option names: protected items (by VM name, item name or id) and recovery plans (with their
member items), from vault-wide lists; every name that matches nothing or more than one is reported together."""

from __future__ import annotations

from ansible_collections.dr.asr.plugins.module_utils._errors import InputError
from ansible_collections.dr.asr.plugins.module_utils._asr import lookup
from ansible_collections.dr.asr.plugins.module_utils._asr.common import Problems, id_key, not_found
from ansible_collections.dr.asr.plugins.module_utils._asr.state import name_of, plan_member_ids


def items(vault, names, parameter="items"):
    """[(parameter, item)] for the given VM names, item names or ids (one vault-wide item list)."""
    listed = lookup.vault_read(vault, vault.protected_items)
    problems = Problems()
    found, seen = [], {}
    for i, wanted in enumerate(names):
        where = "%s[%d]" % (parameter, i)
        matches = [item for item in listed if lookup.matches(item, wanted)]
        if not matches:
            problems.add(not_found(where, wanted, "a protected item of vault %s (its VM name, item name or id)"
                                   % vault.name, [name_of(x) for x in listed]))
            continue
        if len(matches) > 1:
            problems.add(InputError(where, wanted, "a name that matches one protected item",
                                    hint="It matches items %s: give the item name." % ", ".join(m["name"] for m in matches)))
            continue
        key = matches[0]["id"].lower()
        if key in seen:
            problems.add(InputError(where, wanted, "each item once", hint="%s and %s are the same item %s." % (
                seen[key], where, matches[0]["name"])))
            continue
        seen[key] = where
        found.append((where, matches[0]))
    problems.check()
    return found


def plan(vault, name):
    """(plan, member items) of a recovery plan: one plan list, one GET of the plan, the list of its members
    (`vault.protected_items(plan=...)`). The plan's GET says who its members are; a member the filtered list does not
    carry is looked for in the vault-wide list before it is left out (an item that no longer exists)."""
    plans = lookup.vault_read(vault, vault.recovery_plans)
    found = next((p for p in plans if lookup.matches(p, name)), None)
    if found is None:
        raise not_found("recovery_plan", name, "a recovery plan of vault %s" % vault.name, [p["name"] for p in plans])
    found = vault.get_plan(found["name"])
    wanted = [id_key(m) for m in plan_member_ids(found)]
    listed = dict((id_key(i["id"]), i) for i in vault.protected_items(plan=found["name"]) if i.get("id"))
    if any(m not in listed for m in wanted):
        listed = dict((id_key(i["id"]), i) for i in vault.protected_items() if i.get("id"))
    return found, [listed[m] for m in wanted if m in listed]
