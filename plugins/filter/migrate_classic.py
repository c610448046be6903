# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of the dr.asr.migrate_classic role (controller side, pure Python, no network): which classic items
move, in which batches (at most 10 items each, Microsoft Learn's limit; the items of a replication group in one
batch), which moved already, which ASR blocks (named with its errors) and which were asked for but are not classic
items of the vault; then the summary. Each filter is documented in a file of its name beside this one."""

from __future__ import annotations

#: [documented] up to 10 machines in one go
MAX_BATCH = 10


def _name(item):
    return item.get("vm_name") or item.get("name")


def migrate_classic_plan(items, vms=None, batch_size=MAX_BATCH):
    """{batches, moved, blocked, unknown, todo}: `items` are dr.asr.classic_info's protected_items, `vms` the VMs
    asked for (empty: every classic item)."""
    batch_size = max(1, min(int(batch_size or MAX_BATCH), MAX_BATCH))
    by_name = {}
    for item in items or []:
        by_name[(_name(item) or "").lower()] = item
    wanted = [v for v in (vms or []) if v]
    unknown = [v for v in wanted if v.lower() not in by_name]
    chosen = [by_name[v.lower()] for v in wanted if v.lower() in by_name] if wanted else list(items or [])
    moved = [dict(vm=_name(i), moved_to=i.get("moved_to")) for i in chosen if i.get("moved_to")]
    pending = [i for i in chosen if not i.get("moved_to")]
    blocked = [dict(vm=_name(i), errors=i.get("switch_provider_blocking_errors"))
               for i in pending if i.get("switch_provider_blocking_errors")]
    todo = [i for i in pending if not i.get("switch_provider_blocking_errors")]
    groups = []
    index = {}
    for item in todo:                 # a replication group moves together (Learn)
        key = (item.get("multi_vm_group") or "").lower() or ("vm:" + (_name(item) or "")).lower()
        if key not in index:
            index[key] = len(groups)
            groups.append([])
        groups[index[key]].append(_name(item))
    batches = []
    for group in groups:
        if len(group) > MAX_BATCH:
            blocked.append(dict(vm=", ".join(group), errors=[dict(
                code="ReplicationGroupTooLarge", message="the replication group has %d items; Azure Site Recovery "
                "moves up to %d machines in one go and a group moves together" % (len(group), MAX_BATCH),
                possible_causes=None, recommended_action="Move it with the Azure portal or split the group.")]))
            continue
        if batches and len(batches[-1]) + len(group) <= batch_size:
            batches[-1].extend(group)
        else:
            batches.append(list(group))
    return dict(batches=batches, moved=moved, blocked=blocked, unknown=unknown, todo=[_name(i) for i in todo])


def migrate_classic_blocked_message(plan):
    """The refusal naming every blocked item and what ASR says about it (None when none is blocked)."""
    lines = []
    for entry in plan.get("blocked") or []:
        for err in entry.get("errors") or []:
            text = "%s: %s %s" % (entry["vm"], err.get("code"), err.get("message"))
            if err.get("recommended_action"):
                text += " - %s" % err["recommended_action"]
            lines.append(text)
    unknown = plan.get("unknown") or []
    if unknown:
        lines.append("not classic items of the vault: %s" % ", ".join(unknown))
    if not lines:
        return None
    return "Nothing was moved. Azure Site Recovery blocks the move of: " + "; ".join(lines)


def migrate_classic_summary(plan, results, after, target_items, plans, check_mode=False):
    """The fact migrate_classic_summary: per VM where it is now, what was moved, what ASR does not move."""
    moved_now, would = [], []
    for result in results or []:
        for entry in result.get("protected_items") or []:
            if entry.get("changed"):           # a started (or attached) move has its job; a predicted one has none
                (moved_now if entry.get("job") else would).append(entry.get("name"))
    check_mode = bool(check_mode) or bool(would and not moved_now)    # ansible_check_mode is the CLI's only
    new_by_id = dict(((i.get("id") or "").lower(), i) for i in target_items or [])
    vms = []
    for item in after or []:
        where = item.get("moved_to") or {}
        new = new_by_id.get((where.get("item_id") or "").lower()) if where else None
        vms.append(dict(vm=_name(item), moved=bool(where), moved_to=where.get("item_id"),
                        provider=new.get("provider") if new else item.get("provider"),
                        state=new.get("state") if new else item.get("state"),
                        health=new.get("health") if new else item.get("health")))
    protected = [v["vm"] for v in vms if v["moved"] and v["provider"] == "InMageRcm" and v["state"] == "Protected"]
    selected = set(n.lower() for batch in plan.get("batches") or [] for n in batch) | \
        set((m.get("vm") or "").lower() for m in plan.get("moved") or [])
    not_done = [v["vm"] for v in vms if (v["vm"] or "").lower() in selected and v["vm"] not in protected and
                v["vm"] not in would]
    not_migrated = [dict(kind="recovery_plan", name=p.get("name"),
                         action="Recreate it in the target vault with dr.asr.recovery_plan.") for p in plans or []]
    table = ["%-24s %-10s %-12s %-20s %s" % ("VM", "moved", "provider", "state", "health")]
    for v in vms:
        moved = "yes" if v["moved"] else "no"
        table.append("%-24s %-10s %-12s %-20s %s" % (v["vm"], moved, v["provider"], v["state"], v["health"]))
    for entry in not_migrated:
        table.append("recovery plan %s: not migrated by Azure Site Recovery - %s" % (entry["name"], entry["action"]))
    return dict(check_mode=check_mode, vms=vms, moved_in_this_run=moved_now, would_move=would,
                protected_under_inmagercm=protected,
                not_protected_yet=[] if check_mode else not_done, blocked=plan.get("blocked") or [],
                not_migrated=not_migrated, table=table)


class FilterModule(object):
    """The dr.asr.migrate_classic role's decisions."""

    def filters(self):
        return dict(migrate_classic_plan=migrate_classic_plan,
                    migrate_classic_blocked_message=migrate_classic_blocked_message,
                    migrate_classic_summary=migrate_classic_summary)
