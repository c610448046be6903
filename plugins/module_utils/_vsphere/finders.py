# -*- coding: utf-8 -*-
# Copyright: (c) 2026, dr.asr contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Uniform finders: one per inventory type, one signature pattern.

    get_<type>(session, name=None, moid=None, ..., datacenter=None, fail_on_missing=False)

Each returns the managed object reference, or None when nothing matches (a VSphereError with
code NotFound when `fail_on_missing`). A name that matches several objects is always an error
that names the matches: guessing the wrong VM is worse than failing. Lookups by name read only
the `name` property through a ContainerView (one property-collector round trip); they never
touch a lazy pyvmomi property (each of those would be a round trip of its own).

`datacenter` (a name or a vim.Datacenter) narrows every lookup to that datacenter.
"""

from __future__ import annotations

try:
    from pyVmomi import vim, vmodl
except ImportError:  # HAS_PYVMOMI in client.py reports it
    vim = vmodl = None

from ansible_collections.dr.asr.plugins.module_utils._errors import VSphereError
from ansible_collections.dr.asr.plugins.module_utils._vsphere.client import properties

# the top-level folder of a datacenter, per kind of folder path
FOLDER_TYPES = {"vm": "vmFolder", "host": "hostFolder", "datastore": "datastoreFolder", "network": "networkFolder"}

_ESCAPES = (("%2f", "/"), ("%2F", "/"), ("%5c", "\\"), ("%5C", "\\"), ("%25", "%"))


def unescape(name):
    """vSphere stores '/', '\\' and '%' in names as %2f, %5c and %25."""
    for escaped, plain in _ESCAPES:
        name = name.replace(escaped, plain)
    return name


def _not_found(kind, what, fail_on_missing, scope=None):
    if not fail_on_missing:
        return None
    where = " in datacenter %s" % scope if scope else ""
    raise VSphereError("No %s %s found%s." % (kind, what, where), code="NotFound",
                       recommended_action="Check the %s's name or id (names are case-sensitive)." % kind)


def _ambiguous(kind, what, matches):
    listed = ", ".join("%s (%s)" % (label, obj._moId) for obj, label in matches)
    raise VSphereError("More than one %s %s: %s." % (kind, what, listed), code="Ambiguous",
                       details={"matches": [obj._moId for obj, _label in matches]},
                       recommended_action="Identify it by moid or uuid, or narrow the search with datacenter.")


def _one(kind, what, found, fail_on_missing, scope=None):
    """The single match, None, or an error (several matches, or none with fail_on_missing)."""
    if not found:
        return _not_found(kind, what, fail_on_missing, scope)
    if len(found) > 1:
        _ambiguous(kind, what, found)
    return found[0][0]


def _exists(session, ref, kind):
    pc = vmodl.query.PropertyCollector
    contents = session.retrieve([pc.ObjectSpec(obj=ref, skip=False)],
                                [pc.PropertySpec(type=type(ref), pathSet=["name"])],
                                action="looking up %s %s" % (kind, ref._moId))
    return any("name" in properties(content) for content in contents)


def _by_moid(session, vim_type, kind, moid, fail_on_missing):
    ref = session.ref(vim_type, moid)
    try:
        if _exists(session, ref, kind):
            return ref
    except VSphereError as error:
        if error.code not in ("ManagedObjectNotFound", "InvalidArgument"):
            raise
    return _not_found(kind, "with moid %s" % moid, fail_on_missing)


def list_names(session, vim_type, container=None, extra=()):
    """[(ref, props)] for every object of vim_type under container (default: root), one round trip."""
    pc = vmodl.query.PropertyCollector
    contents = session.retrieve_view(container, [vim_type],
                                     [pc.PropertySpec(type=vim_type, pathSet=["name"] + list(extra))],
                                     action="listing %s objects" % vim_type.__name__.split(".")[-1])
    return [(content.obj, properties(content)) for content in contents]


def _by_name(session, vim_type, kind, name, datacenter, fail_on_missing):
    dc = resolve_datacenter(session, datacenter)
    found = [(ref, props["name"]) for ref, props in list_names(session, vim_type, dc)
             if props.get("name") is not None and name in (props["name"], unescape(props["name"]))]
    return _one(kind, "named '%s'" % name, found, fail_on_missing, scope=datacenter if dc else None)


def _find(session, vim_type, kind, name, moid, datacenter, fail_on_missing):
    if moid:
        return _by_moid(session, vim_type, kind, moid, fail_on_missing)
    if name:
        return _by_name(session, vim_type, kind, name, datacenter, fail_on_missing)
    raise ValueError("get_%s needs name or moid" % kind)


def resolve_datacenter(session, datacenter):
    """A vim.Datacenter from a name or object (None stays None)."""
    if datacenter is None or isinstance(datacenter, vim.Datacenter):
        return datacenter
    return get_datacenter(session, name=datacenter, fail_on_missing=True)


# -- the finders --------------------------------------------------------------------------------
def get_datacenter(session, name=None, moid=None, fail_on_missing=False):
    return _find(session, vim.Datacenter, "datacenter", name, moid, None, fail_on_missing)


def get_cluster(session, name=None, moid=None, datacenter=None, fail_on_missing=False):
    return _find(session, vim.ClusterComputeResource, "cluster", name, moid, datacenter, fail_on_missing)


def get_host(session, name=None, moid=None, datacenter=None, fail_on_missing=False):
    return _find(session, vim.HostSystem, "host", name, moid, datacenter, fail_on_missing)


def get_datastore(session, name=None, moid=None, datacenter=None, fail_on_missing=False):
    return _find(session, vim.Datastore, "datastore", name, moid, datacenter, fail_on_missing)


def get_network(session, name=None, moid=None, datacenter=None, fail_on_missing=False):
    """Standard port groups, distributed port groups and opaque networks alike."""
    return _find(session, vim.Network, "network", name, moid, datacenter, fail_on_missing)


def get_vm(session, name=None, moid=None, instance_uuid=None, bios_uuid=None, datacenter=None,
           fail_on_missing=False):
    """By moid, instance UUID, BIOS UUID (SearchIndex.FindByUuid) or name, in that order of precedence.

    The BIOS UUID of a clone can equal its source's: prefer the instance UUID, which vCenter keeps unique.
    """
    if moid or name:
        return _find(session, vim.VirtualMachine, "virtual machine", name, moid, datacenter, fail_on_missing)
    uuid, instance = (instance_uuid, True) if instance_uuid else (bios_uuid, False)
    if not uuid:
        raise ValueError("get_vm needs name, moid, instance_uuid or bios_uuid")
    dc = resolve_datacenter(session, datacenter)
    with session.errors("looking up the virtual machine with UUID %s" % uuid):
        ref = session.content.searchIndex.FindByUuid(datacenter=dc, uuid=uuid, vmSearch=True, instanceUuid=instance)
    if ref is None:
        kind = "instance UUID" if instance else "BIOS UUID"
        return _not_found("virtual machine", "with %s %s" % (kind, uuid), fail_on_missing)
    return ref


# -- folders ------------------------------------------------------------------------------------
def entity_path(nodes, moid):
    """(datacenter moid, folder path below the datacenter's top folder) of an inventory folder.

    nodes: {moid: {"type": wsdl type name, "name": name, "parent": parent moid}}, e.g. from a
    parent traversal. The top folder ("vm", "host", ...) is left out: a VM folder
    /DC1/vm/Production/Web gives (DC1's moid, "Production/Web"); the top folder itself gives "".
    (None, None) when the chain does not reach a datacenter.
    """
    names = []
    current = moid
    while current in nodes and nodes[current]["type"] != "Datacenter":
        names.append(unescape(nodes[current]["name"]))
        current = nodes[current].get("parent")
    if current not in nodes or not names:
        return None, None
    return current, "/".join(reversed(names[:-1]))


def _top_folder(nodes, moid):
    """moid of the datacenter top folder at or above folder `moid` (None above datacenters)."""
    current = moid
    while current in nodes:
        parent = nodes[current].get("parent")
        if parent in nodes and nodes[parent]["type"] == "Datacenter":
            return current
        current = parent
    return None


def folder_nodes(session):
    """{moid: node} of every Folder and Datacenter, one round trip."""
    pc = vmodl.query.PropertyCollector
    contents = session.retrieve_view(
        None, [vim.Folder, vim.Datacenter],
        [pc.PropertySpec(type=vim.Folder, pathSet=["name", "parent"]),
         pc.PropertySpec(type=vim.Datacenter, pathSet=["name", "parent"] + sorted(FOLDER_TYPES.values()))],
        action="listing folders")
    nodes = {}
    for content in contents:
        props = properties(content)
        parent = props.get("parent")
        node = {"type": content.obj._wsdlName, "name": props.get("name", ""), "ref": content.obj,
                "parent": parent._moId if parent is not None else None}
        for kind, prop in FOLDER_TYPES.items():
            if props.get(prop) is not None:
                node[kind] = props[prop]._moId
        nodes[content.obj._moId] = node
    return nodes


def get_folder(session, path=None, moid=None, datacenter=None, folder_type="vm", fail_on_missing=False):
    """A folder by moid, inventory path ("/DC1/vm/Production/Web") or path below the datacenter's
    `folder_type` top folder ("Production/Web", or "/Production/Web" when that is no inventory path;
    "" or "/" is the top folder itself).

    A relative path found in several datacenters is ambiguous unless `datacenter` is given.
    """
    if moid:
        return _by_moid(session, vim.Folder, "folder", moid, fail_on_missing)
    if path is None:
        raise ValueError("get_folder needs path or moid")
    dc = resolve_datacenter(session, datacenter)
    if path.startswith("/") and path.strip("/"):
        with session.errors("looking up folder %s" % path):
            ref = session.content.searchIndex.FindByInventoryPath(inventoryPath=path.rstrip("/"))
        if isinstance(ref, vim.Folder):
            return ref
        # not an inventory path: a path below the top folder written with a leading slash
    wanted = "/".join(part for part in path.split("/") if part)
    nodes = folder_nodes(session)
    found = []
    for moid_, node in nodes.items():
        if node["type"] != "Folder":
            continue
        dc_moid, relative = entity_path(nodes, moid_)
        if dc_moid is None or relative != wanted or (dc is not None and dc_moid != dc._moId):
            continue
        if _top_folder(nodes, moid_) == nodes[dc_moid].get(folder_type):
            label = "/".join(part for part in ("", unescape(nodes[dc_moid]["name"]), folder_type, relative) if part)
            found.append((node["ref"], "/" + label))
    return _one("folder", "'%s'" % path, found, fail_on_missing, scope=datacenter if dc else None)
