"""Microsoft.Network for the lab's ARM simulator: virtual networks, subnets, peerings, network
interfaces, network security groups and public IP addresses.

Behaves like the Network resource provider for azure-mgmt-network (api-version 2026-03-01):

* PUT answers 201 (create) / 200 (update) with the body in `provisioningState: Updating` and an
  `Azure-AsyncOperation` header; DELETE answers 202 with `Location` and `Azure-AsyncOperation`;
  PATCH (tags) is synchronous. Every resource carries a weak `etag` that changes on each write.
* Subnets live as child resources (`.../virtualNetworks/{vnet}/subnets/{name}`) and are also
  rendered inside their virtual network. A virtual network PUT replaces its set of subnets, as in
  Azure: a subnet left out of the body is deleted (refused when it is in use).
* Address rules: prefixes in CIDR notation (`InvalidAddressPrefixFormat`, `InvalidCIDRNotation`),
  subnets inside the address space (`NetcfgSubnetRangeOutsideVnet`) and not overlapping
  (`NetcfgSubnetRangesOverlap`); a subnet with IP configurations cannot be deleted
  (`InUseSubnetCannotBeDeleted`) or re-addressed (`InUseSubnetCannotBeUpdated`).
* NIC IP configurations reference an existing subnet in the NIC's region
  (`InvalidResourceReference`). Dynamic addresses are the lowest free address of the subnet after
  the five Azure reserves (network, .1-.3, broadcast) and stay stable across updates; static ones
  must be inside the subnet (`PrivateIPAddressNotInSubnet`), outside the reserved addresses
  (`PrivateIPAddressInReservedRange`) and free (`PrivateIPAddressIsAllocated`); a full subnet
  answers `SubnetIsFull`.
* A NIC attached to a VM (set by the compute provider) shows `virtualMachine`, `primary` and,
  once the VM has run, `macAddress`; it cannot be deleted (`NicInUse`).
* Peerings: `Initiated` until the remote virtual network peers back, then `Connected` on both
  sides; `Disconnected` when the other side goes away.

Helpers at the end (`attach_nic`, `detach_nic`, ...) are what the compute provider uses to keep
the back-references of NICs in step with its virtual machines.
"""
import hashlib
import ipaddress
import re

from drlab.azure.rp import ArmError, LroStyle, ResourceType, bad_request
from drlab.azure.providers import catalog

NS = "Microsoft.Network"
VNET = NS + "/virtualNetworks"
SUBNET = VNET + "/subnets"
PEERING = VNET + "/virtualNetworkPeerings"
NIC = NS + "/networkInterfaces"
NSG = NS + "/networkSecurityGroups"
PIP = NS + "/publicIPAddresses"

#: internal bookkeeping kept in stored bodies and removed by render()
LAB = "_lab"


# ---------------------------------------------------------------------------------------------
# small helpers shared with compute.py and storage.py


def id_of(rid):
    """The ARM id string of a ResourceId (or of a string)."""
    if isinstance(rid, str):
        return rid
    for attr in ("id", "arm_id", "resource_id"):
        value = getattr(rid, attr, None)
        if isinstance(value, str):
            return value
    return str(rid)


_ID_RE = re.compile(r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/"
                    r"(?P<ns>[^/]+)/(?P<rest>.+)$", re.IGNORECASE)


def parse_id(value):
    """Split an ARM id: {'sub', 'rg', 'ns', 'types': [...], 'names': [...]} or None."""
    m = _ID_RE.match((value or "").rstrip("/"))
    if not m:
        return None
    parts = m.group("rest").split("/")
    if len(parts) % 2:
        return None
    return {"sub": m.group("sub"), "rg": m.group("rg"), "ns": m.group("ns"),
            "types": parts[0::2], "names": parts[1::2]}


def full_type_of(value):
    p = parse_id(value)
    return (p["ns"] + "/" + "/".join(p["types"])) if p else None


def same_id(a, b):
    return bool(a) and bool(b) and a.rstrip("/").lower() == b.rstrip("/").lower()


def parent_id(value):
    """`/a/b/c/d` -> `/a/b` (the parent of a child resource id)."""
    return value.rstrip("/").rsplit("/", 2)[0]


def sub_scope(value):
    p = parse_id(value)
    return "/subscriptions/%s" % p["sub"] if p else None


def new_etag(ctx):
    return 'W/"%s"' % ctx.new_guid()


def strip_lab(body):
    """A copy of a stored body without the simulator's bookkeeping."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    out.pop(LAB, None)
    return out


def lab_state(body):
    return body.setdefault(LAB, {})


def props(body):
    p = (body or {}).get("properties")
    return p if isinstance(p, dict) else {}


def ref_id(value):
    """The id of a `{"id": ...}` sub-resource reference (or None)."""
    if isinstance(value, dict):
        return value.get("id") or None
    return None


def normalize_location(ctx, full_type, location):
    if not location:
        raise bad_request("LocationRequired", "The location property is required for this definition.")
    name = catalog.region(location)
    if not name:
        raise bad_request(
            "LocationNotAvailableForResourceType",
            "The provided location '%s' is not available for resource type '%s'. List of available "
            "regions for the resource type is '%s'." % (location, full_type, ",".join(catalog.REGIONS)))
    return name


def tracked_base(ctx, rid, full_type, body, existing):
    """id/name/type/location/tags/etag of a tracked resource."""
    rid_s = id_of(rid)
    location = normalize_location(ctx, full_type, body.get("location"))
    if existing and existing.get("location") and existing["location"] != location:
        raise bad_request(
            "InvalidResourceLocation",
            "The resource '%s' already exists in location '%s' in resource group '%s'. A resource with "
            "the same name cannot be created in location '%s'. Please select a new resource name."
            % (rid_s.rsplit("/", 1)[-1], existing["location"], parse_id(rid_s)["rg"], location),
            target=None)
    out = {
        "id": rid_s,
        "name": rid_s.rsplit("/", 1)[-1],
        "type": full_type,
        "location": location,
        "etag": new_etag(ctx),
    }
    tags = body.get("tags")
    if tags is not None:
        if not isinstance(tags, dict):
            raise bad_request("InvalidRequestFormat", "Cannot parse the request: tags must be an object.")
        out["tags"] = tags
    return out


def provider_operation_paths(ctx, rid, namespace, operation_id, status_segment, result_segment):
    """Polling paths under /subscriptions/{s}/providers/{ns}/locations/{loc}/ (location of the
    resource, else of its top-level parent, else of its group)."""
    rid_s = id_of(rid)
    p = parse_id(rid_s)
    location = None
    current = rid_s
    while current and location is None:
        body = ctx.get(current)
        location = (body or {}).get("location")
        parsed = parse_id(current)
        current = parent_id(current) if parsed and len(parsed["types"]) > 1 else None
    if location is None:
        location = ctx.location_of_rg(p["sub"], p["rg"]) or "global"
    base = "/subscriptions/%s/providers/%s/locations/%s" % (p["sub"], namespace, location.replace(" ", "").lower())
    return ("%s/%s/%s" % (base, status_segment, operation_id), "%s/%s/%s" % (base, result_segment, operation_id))


def check_reference(ctx, ref, expected_type, referencing_id, location=None):
    """The stored body behind a sub-resource reference, or 400 InvalidResourceReference."""
    target = ref_id(ref)
    stored = ctx.get(target) if target and same_type(target, expected_type) else None
    if stored is None or (location and stored.get("location") and stored["location"] != location):
        raise bad_request(
            "InvalidResourceReference",
            "Resource %s referenced by resource %s was not found. Please make sure that the referenced "
            "resource exists, and that both resources are in the same region."
            % (target, referencing_id))
    return stored


def same_type(value, full_type):
    t = full_type_of(value)
    return bool(t) and t.lower() == full_type.lower()


# ---------------------------------------------------------------------------------------------
# address arithmetic


def parse_prefix(prefix, owner_id):
    bad_format = bad_request(
        "InvalidAddressPrefixFormat",
        "Address prefix %s of resource %s is not formatted correctly. It should follow CIDR "
        "notation, for example 10.0.0.0/24." % (prefix, owner_id))
    if not isinstance(prefix, str) or "/" not in prefix:
        raise bad_format
    try:
        return ipaddress.ip_network(prefix, strict=True)
    except ValueError:
        pass
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        raise bad_format
    raise bad_request(
        "InvalidCIDRNotation",
        "The address prefix %s in resource %s has an invalid CIDR notation. For the given prefix "
        "length, the address prefix should be %s." % (prefix, owner_id, net))


def subnet_prefixes(subnet_props):
    """The prefixes of a subnet: `addressPrefix` or `addressPrefixes`."""
    if subnet_props.get("addressPrefixes"):
        return list(subnet_props["addressPrefixes"])
    if subnet_props.get("addressPrefix"):
        return [subnet_props["addressPrefix"]]
    return []


def reserved_addresses(net):
    """What Azure keeps for itself in a subnet: network address, .1 to .3, broadcast."""
    if net.version != 4:
        return set()
    base = int(net.network_address)
    return {ipaddress.ip_address(base + i) for i in range(4)} | {net.broadcast_address}


def validate_subnets(vnet_id, vnet_name, space, subnets):
    """subnets: [(name, props)] -> checks format, containment and overlap. Returns parsed prefixes."""
    space_nets = [parse_prefix(p, vnet_id) for p in space]
    parsed = []
    for name, sp in subnets:
        sid = "%s/subnets/%s" % (vnet_id, name)
        prefixes = subnet_prefixes(sp)
        if not prefixes:
            raise bad_request(
                "NetcfgInvalidSubnet",
                "Subnet '%s' is not valid in virtual network '%s'." % (name, vnet_name))
        for prefix in prefixes:
            net = parse_prefix(prefix, sid)
            if not any(net.version == s.version and net.subnet_of(s) for s in space_nets):
                raise bad_request(
                    "NetcfgSubnetRangeOutsideVnet",
                    "Subnet '%s' is not valid because its IP address range is outside the IP address "
                    "range of virtual network '%s'." % (name, vnet_name))
            for other_name, other in parsed:
                if other.version == net.version and other.overlaps(net) and other_name != name:
                    raise bad_request(
                        "NetcfgSubnetRangesOverlap",
                        "Subnet '%s' is not valid because its IP address range overlaps with that of an "
                        "existing subnet in virtual network '%s'." % (name, vnet_name))
            parsed.append((name, net))
    return parsed


# ---------------------------------------------------------------------------------------------
# who uses what


def nics_in(ctx, scope_id):
    return ctx.list(NIC, scope=sub_scope(scope_id)) or []


def ip_configs_using_subnet(ctx, subnet_id, nics=None):
    """[(nic body, ipconfig body)] whose subnet is subnet_id."""
    out = []
    for nic in nics if nics is not None else nics_in(ctx, subnet_id):
        for ipc in props(nic).get("ipConfigurations") or []:
            if same_id(ref_id(props(ipc).get("subnet")), subnet_id):
                out.append((nic, ipc))
    return out


def used_addresses(ctx, subnet_id, except_nic=None, nics=None):
    used = {}
    for nic, ipc in ip_configs_using_subnet(ctx, subnet_id, nics):
        if except_nic and same_id(nic.get("id"), except_nic):
            continue
        ip = props(ipc).get("privateIPAddress")
        if ip:
            used[ipaddress.ip_address(ip)] = ipc.get("id")
    return used


def pip_holder(ctx, pip_id, nics=None):
    """The id of the NIC IP configuration that uses a public IP address, or None."""
    for nic in nics if nics is not None else nics_in(ctx, pip_id):
        for ipc in props(nic).get("ipConfigurations") or []:
            if same_id(ref_id(props(ipc).get("publicIPAddress")), pip_id):
                return ipc.get("id")
    return None


def in_use_error(subnet_name, users):
    return bad_request(
        "InUseSubnetCannotBeDeleted",
        "Subnet %s is in use by %s and cannot be deleted. In order to delete the subnet, delete all the "
        "resources within the subnet. See aka.ms/deletesubnet." % (subnet_name, users[0][1].get("id")))


# ---------------------------------------------------------------------------------------------
# resource types


class NetworkType(ResourceType):
    put_style = LroStyle.ASYNC_OPERATION
    delete_style = LroStyle.BOTH
    patch_style = LroStyle.SYNC
    put_duration = 0.5
    delete_duration = 0.5

    def render(self, ctx, stored):
        return strip_lab(stored)

    def operation_paths(self, ctx, rid, operation_id, verb):
        """Network's own polling URLs: .../locations/{loc}/operations/{id} and .../operationResults/{id}."""
        return provider_operation_paths(ctx, rid, NS, operation_id, "operations", "operationResults")

    def prepare_patch(self, ctx, rid, body, existing):
        """PATCH is `update_tags` (TagsObject) for every Network resource type."""
        out = dict(existing)
        if "tags" in (body or {}):
            out["tags"] = body.get("tags") or {}
        out["etag"] = new_etag(ctx)
        return out


def subnet_body(ctx, vnet_id, name, sp, existing=None):
    """The stored body of a subnet from the properties a client sent."""
    sid = "%s/subnets/%s" % (vnet_id, name)
    keep = props(existing)
    out_props = {
        "provisioningState": "Succeeded",
        "privateEndpointNetworkPolicies": sp.get("privateEndpointNetworkPolicies",
                                                 keep.get("privateEndpointNetworkPolicies", "Disabled")),
        "privateLinkServiceNetworkPolicies": sp.get("privateLinkServiceNetworkPolicies",
                                                    keep.get("privateLinkServiceNetworkPolicies", "Enabled")),
        "delegations": sp.get("delegations") or [],
    }
    if sp.get("addressPrefixes"):
        out_props["addressPrefixes"] = list(sp["addressPrefixes"])
    else:
        out_props["addressPrefix"] = sp.get("addressPrefix")
    for key in ("networkSecurityGroup", "routeTable", "natGateway", "serviceEndpoints",
                "defaultOutboundAccess", "sharingScope"):
        if sp.get(key) is not None:
            out_props[key] = sp[key]
    return {
        "id": sid,
        "name": name,
        "type": SUBNET,
        "etag": new_etag(ctx),
        "properties": out_props,
    }


def render_subnet(ctx, stored, nics=None):
    out = strip_lab(stored)
    p = dict(props(out))
    users = ip_configs_using_subnet(ctx, out["id"], nics)
    if users:
        p["ipConfigurations"] = [{"id": ipc["id"]} for _nic, ipc in users]
    out["properties"] = p
    return out


def check_subnet_change(ctx, subnet_id, name, old, new_props, nics):
    """An in-use subnet keeps its prefixes."""
    if old is None:
        return
    users = ip_configs_using_subnet(ctx, subnet_id, nics)
    if users and sorted(subnet_prefixes(props(old))) != sorted(subnet_prefixes(new_props)):
        raise bad_request(
            "InUseSubnetCannotBeUpdated",
            "Subnet %s is in use by %s and cannot be updated." % (name, users[0][1].get("id")))


def check_nsg_ref(ctx, ref, referencing_id, location):
    if ref is not None:
        check_reference(ctx, ref, NSG, referencing_id, location)


class VirtualNetwork(NetworkType):
    full_type = VNET

    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        out = tracked_base(ctx, rid, VNET, body, existing)
        vnet_id = out["id"]
        p = props(body)
        space = list(((p.get("addressSpace") or {}).get("addressPrefixes")) or [])
        for prefix in space:
            parse_prefix(prefix, vnet_id)
        wanted = []
        seen = set()
        for sn in p.get("subnets") or []:
            name = (sn or {}).get("name")
            if not name:
                raise bad_request("InvalidRequestFormat", "Cannot parse the request: a subnet has no name.")
            if name.lower() in seen:
                raise bad_request("InvalidRequestFormat",
                                  "Subnet name %s is not unique in virtual network %s." % (name, out["name"]))
            seen.add(name.lower())
            wanted.append((name, props(sn)))
        validate_subnets(vnet_id, out["name"], space, wanted)

        nics = nics_in(ctx, vnet_id)
        current = {s["name"].lower(): s for s in ctx.list(SUBNET, scope=vnet_id) or []} if existing else {}
        for name, sp in wanted:
            check_nsg_ref(ctx, sp.get("networkSecurityGroup"), "%s/subnets/%s" % (vnet_id, name), out["location"])
            check_subnet_change(ctx, "%s/subnets/%s" % (vnet_id, name), name, current.get(name.lower()), sp, nics)
        for key, old in current.items():
            if key not in seen:
                users = ip_configs_using_subnet(ctx, old["id"], nics)
                if users:
                    raise in_use_error(old["name"], users)

        # side effects, once everything is valid: the subnets are child resources
        for key, old in current.items():
            if key not in seen:
                ctx.delete(old["id"])
        for name, sp in wanted:
            old = current.get(name.lower())
            stored_name = old["name"] if old else name
            ctx.put("%s/subnets/%s" % (vnet_id, stored_name), subnet_body(ctx, vnet_id, stored_name, sp, old))

        keep = props(existing)
        out["properties"] = {
            "provisioningState": "Updating",
            "resourceGuid": keep.get("resourceGuid") or ctx.new_guid(),
            "addressSpace": {"addressPrefixes": space},
            "enableDdosProtection": bool(p.get("enableDdosProtection", False)),
            "privateEndpointVNetPolicies": p.get("privateEndpointVNetPolicies", "Disabled"),
        }
        for key in ("dhcpOptions", "encryption", "flowTimeoutInMinutes", "bgpCommunities"):
            if p.get(key) is not None:
                out["properties"][key] = p[key]
        return out

    def render(self, ctx, stored):
        out = strip_lab(stored)
        vnet_id = out["id"]
        p = dict(props(out))
        nics = nics_in(ctx, vnet_id)
        p["subnets"] = [render_subnet(ctx, s, nics) for s in ctx.list(SUBNET, scope=vnet_id) or []]
        p["virtualNetworkPeerings"] = [render_peering(ctx, x) for x in ctx.list(PEERING, scope=vnet_id) or []]
        out["properties"] = p
        return out

    def check_delete(self, ctx, rid, existing):
        nics = nics_in(ctx, id_of(rid))
        for subnet in ctx.list(SUBNET, scope=id_of(rid)) or []:
            users = ip_configs_using_subnet(ctx, subnet["id"], nics)
            if users:
                raise in_use_error(subnet["name"], users)


class Subnet(NetworkType):
    full_type = SUBNET
    parent_type = VNET
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):
        sid = id_of(rid)
        vnet_id = parent_id(sid)
        vnet = ctx.get(vnet_id)
        name = sid.rsplit("/", 1)[-1]
        sp = props(body or {})
        others = [(s["name"], props(s)) for s in ctx.list(SUBNET, scope=vnet_id) or []
                  if s["name"].lower() != name.lower()]
        space = (props(vnet).get("addressSpace") or {}).get("addressPrefixes") or []
        validate_subnets(vnet_id, vnet["name"], space, others + [(name, sp)])
        check_nsg_ref(ctx, sp.get("networkSecurityGroup"), sid, vnet.get("location"))
        check_subnet_change(ctx, sid, name, existing, sp, None)
        out = subnet_body(ctx, vnet_id, existing["name"] if existing else name, sp, existing)
        out["properties"]["provisioningState"] = "Updating"
        return out

    def render(self, ctx, stored):
        return render_subnet(ctx, stored)

    def check_delete(self, ctx, rid, existing):
        users = ip_configs_using_subnet(ctx, id_of(rid))
        if users:
            raise in_use_error(existing["name"], users)


def render_peering(ctx, stored):
    out = strip_lab(stored)
    p = dict(props(out))
    remote = ctx.get(ref_id(p.get("remoteVirtualNetwork")))
    reverse = find_reverse_peering(ctx, out["id"], ref_id(p.get("remoteVirtualNetwork")))
    if reverse is not None:
        state = "Connected"
    elif (stored.get(LAB) or {}).get("connected"):
        state = "Disconnected"
    else:
        state = "Initiated"
    p["peeringState"] = state
    p["peeringSyncLevel"] = "FullyInSync" if state == "Connected" else "RemoteNotInSync"
    if remote is not None:
        space = props(remote).get("addressSpace") or {"addressPrefixes": []}
        p["remoteAddressSpace"] = space
        p["remoteVirtualNetworkAddressSpace"] = space
    out["properties"] = p
    return out


def find_reverse_peering(ctx, peering_id, remote_vnet_id):
    if not remote_vnet_id or ctx.get(remote_vnet_id) is None:
        return None
    local_vnet = parent_id(peering_id)
    for other in ctx.list(PEERING, scope=remote_vnet_id) or []:
        if same_id(ref_id(props(other).get("remoteVirtualNetwork")), local_vnet):
            return other
    return None


class VirtualNetworkPeering(NetworkType):
    full_type = PEERING
    parent_type = VNET
    tracked = False
    list_at_subscription = False

    def prepare_put(self, ctx, rid, body, existing):
        pid = id_of(rid)
        vnet = ctx.get(parent_id(pid))
        p = props(body or {})
        remote_id = ref_id(p.get("remoteVirtualNetwork"))
        remote = ctx.get(remote_id) if remote_id and same_type(remote_id, VNET) else None
        if remote is None:
            raise bad_request(
                "InvalidGlobalResourceReference",
                "Resource %s referenced by resource %s was not found. Please make sure that the referenced "
                "resource exists." % (remote_id, pid))
        if same_id(remote_id, vnet["id"]):
            raise bad_request("CannotPeerVirtualNetworkWithItself",
                              "Virtual network %s cannot be peered with itself." % vnet["id"])
        local_space = [parse_prefix(x, vnet["id"]) for x in
                       (props(vnet).get("addressSpace") or {}).get("addressPrefixes") or []]
        remote_space = [parse_prefix(x, remote_id) for x in
                        (props(remote).get("addressSpace") or {}).get("addressPrefixes") or []]
        overlap = [str(a) for a in local_space for b in remote_space if a.version == b.version and a.overlaps(b)]
        if overlap:
            raise bad_request(
                "VnetAddressSpacesOverlap",
                "Cannot create or update peering %s because address space of virtual network %s overlaps "
                "with address space of virtual network %s. Overlapping address prefixes: %s."
                % (pid, vnet["id"], remote_id, ", ".join(overlap)))
        out = {
            "id": pid,
            "name": pid.rsplit("/", 1)[-1],
            "type": PEERING,
            "etag": new_etag(ctx),
            "properties": {
                "provisioningState": "Updating",
                "resourceGuid": props(existing).get("resourceGuid") or ctx.new_guid(),
                "remoteVirtualNetwork": {"id": remote["id"]},
                "allowVirtualNetworkAccess": bool(p.get("allowVirtualNetworkAccess", True)),
                "allowForwardedTraffic": bool(p.get("allowForwardedTraffic", False)),
                "allowGatewayTransit": bool(p.get("allowGatewayTransit", False)),
                "useRemoteGateways": bool(p.get("useRemoteGateways", False)),
                "doNotVerifyRemoteGateways": bool(p.get("doNotVerifyRemoteGateways", False)),
                "peerCompleteVnets": bool(p.get("peerCompleteVnets", True)),
                "enableOnlyIPv6Peering": bool(p.get("enableOnlyIPv6Peering", False)),
            },
        }
        if existing and (existing.get(LAB) or {}).get("connected"):
            out[LAB] = {"connected": True}
        reverse = find_reverse_peering(ctx, pid, remote["id"])
        if reverse is not None:
            out[LAB] = {"connected": True}
            if not (reverse.get(LAB) or {}).get("connected"):
                reverse = dict(reverse)
                reverse[LAB] = {"connected": True}
                reverse["etag"] = new_etag(ctx)
                ctx.put(reverse["id"], reverse)
        return out

    def render(self, ctx, stored):
        return render_peering(ctx, stored)


# ---- network interfaces


def mac_for(nic_id, salt=""):
    """A stable MAC address in Azure's format and one of its OUIs (00-0D-3A)."""
    digest = hashlib.sha256((nic_id.lower() + salt).encode()).digest()
    return "00-0D-3A-%02X-%02X-%02X" % (digest[0], digest[1], digest[2])


class NetworkInterface(NetworkType):
    full_type = NIC

    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        out = tracked_base(ctx, rid, NIC, body, existing)
        nic_id = out["id"]
        p = props(body)
        configs = p.get("ipConfigurations") or []
        if not configs:
            raise bad_request(
                "InvalidRequestFormat",
                "Network interface %s must have at least one IP configuration." % nic_id)
        check_nsg_ref(ctx, p.get("networkSecurityGroup"), nic_id, out["location"])

        old_configs = {(c.get("name") or "").lower(): c for c in props(existing).get("ipConfigurations") or []}
        primaries = [c for c in configs if props(c).get("primary")]
        if len(primaries) > 1:
            raise bad_request(
                "OnlyOnePrimaryIpConfigurationAllowedPerNic",
                "Network interface %s has more than one primary IP configuration." % nic_id)
        nics = nics_in(ctx, nic_id)
        taken = {}  # subnet id (lower) -> {ip: ipconfig id} of this request
        result = []
        for i, cfg in enumerate(configs):
            name = (cfg or {}).get("name") or "ipconfig%d" % (i + 1)
            cid = "%s/ipConfigurations/%s" % (nic_id, name)
            cp = props(cfg)
            subnet = check_reference(ctx, cp.get("subnet"), SUBNET, nic_id)
            vnet = ctx.get(parent_id(subnet["id"]))
            if vnet is None or vnet.get("location") != out["location"]:
                raise bad_request(
                    "InvalidResourceReference",
                    "Resource %s referenced by resource %s was not found. Please make sure that the "
                    "referenced resource exists, and that both resources are in the same region."
                    % (subnet["id"], nic_id))
            net = parse_prefix(subnet_prefixes(props(subnet))[0], subnet["id"])
            used = used_addresses(ctx, subnet["id"], except_nic=nic_id, nics=nics)
            used.update(taken.setdefault(subnet["id"].lower(), {}))
            method = cp.get("privateIPAllocationMethod") or "Dynamic"
            old = props(old_configs.get(name.lower()))
            if method.lower() == "static":
                method = "Static"
                ip = self._static(cp.get("privateIPAddress"), net, used, cid, subnet["id"])
            else:
                method = "Dynamic"
                ip = None
                if old.get("privateIPAddress") and same_id(ref_id(old.get("subnet")), subnet["id"]):
                    candidate = ipaddress.ip_address(old["privateIPAddress"])
                    if candidate in net and candidate not in used:
                        ip = candidate
                if ip is None:
                    ip = self._next_free(net, used, subnet["name"])
            taken[subnet["id"].lower()][ip] = cid
            entry_props = {
                "provisioningState": "Succeeded",
                "privateIPAddress": str(ip),
                "privateIPAllocationMethod": method,
                "privateIPAddressVersion": "IPv%d" % ip.version,
                "subnet": {"id": subnet["id"]},
                "primary": bool(cp.get("primary")) or (not primaries and i == 0),
            }
            pip_ref = cp.get("publicIPAddress")
            if pip_ref is not None:
                pip = check_reference(ctx, pip_ref, PIP, nic_id, out["location"])
                holder = pip_holder(ctx, pip["id"], nics)
                if holder and not holder.lower().startswith(nic_id.lower() + "/"):
                    raise bad_request(
                        "PublicIPAddressInUse",
                        "Resource %s is referencing public IP address %s that is already allocated to "
                        "resource %s." % (cid, pip["id"], holder))
                entry_props["publicIPAddress"] = {"id": pip["id"]}
            for key in ("loadBalancerBackendAddressPools", "applicationSecurityGroups"):
                if cp.get(key) is not None:
                    entry_props[key] = cp[key]
            result.append({
                "name": name,
                "id": cid,
                "type": NIC + "/ipConfigurations",
                "etag": out["etag"],
                "properties": entry_props,
            })

        keep = props(existing)
        suffix = hashlib.sha256(parse_id(nic_id)["sub"].encode()).hexdigest()[:26]
        out["properties"] = {
            "provisioningState": "Updating",
            "resourceGuid": keep.get("resourceGuid") or ctx.new_guid(),
            "ipConfigurations": result,
            "dnsSettings": {
                "dnsServers": list(((p.get("dnsSettings") or {}).get("dnsServers")) or []),
                "appliedDnsServers": [],
                "internalDomainNameSuffix": "%s.ax.internal.cloudapp.net" % suffix,
            },
            "enableAcceleratedNetworking": bool(p.get("enableAcceleratedNetworking", False)),
            "enableIPForwarding": bool(p.get("enableIPForwarding", False)),
            "disableTcpStateTracking": bool(p.get("disableTcpStateTracking", False)),
            "hostedWorkloads": [],
            "tapConfigurations": [],
            "nicType": p.get("nicType") or "Standard",
            "auxiliaryMode": p.get("auxiliaryMode") or "None",
            "auxiliarySku": p.get("auxiliarySku") or "None",
            "vnetEncryptionSupported": False,
        }
        if (p.get("dnsSettings") or {}).get("internalDnsNameLabel"):
            out["properties"]["dnsSettings"]["internalDnsNameLabel"] = p["dnsSettings"]["internalDnsNameLabel"]
        if p.get("networkSecurityGroup") is not None:
            out["properties"]["networkSecurityGroup"] = {"id": ref_id(p["networkSecurityGroup"])}
        # read-only facts owned by the compute provider survive a client's PUT
        for key in ("virtualMachine", "macAddress", "primary"):
            if key in keep:
                out["properties"][key] = keep[key]
        if existing and LAB in existing:
            out[LAB] = dict(existing[LAB])
        return out

    @staticmethod
    def _static(address, net, used, cid, subnet_id):
        try:
            ip = ipaddress.ip_address(address or "")
        except ValueError:
            raise bad_request(
                "InvalidRequestFormat",
                "Cannot parse the request: private IP address '%s' of %s is not valid." % (address, cid))
        if ip not in net:
            raise bad_request(
                "PrivateIPAddressNotInSubnet",
                "IP configuration %s has private IP address %s that does not belong to subnet %s with "
                "address prefix %s." % (cid, ip, subnet_id, net))
        if ip in reserved_addresses(net):
            raise bad_request(
                "PrivateIPAddressInReservedRange",
                "Private static IP address %s falls within reserved IP range of subnet prefix %s."
                % (ip, net))
        if ip in used:
            raise bad_request(
                "PrivateIPAddressIsAllocated",
                "IP configuration %s is using the private IP address %s which is already allocated to "
                "resource %s." % (cid, ip, parent_id(used[ip])))
        return ip

    @staticmethod
    def _next_free(net, used, subnet_name):
        reserved = reserved_addresses(net)
        for ip in net.hosts() if net.num_addresses > 2 else []:
            if ip not in reserved and ip not in used:
                return ip
        raise bad_request(
            "SubnetIsFull",
            "Subnet %s with address prefix %s does not have enough capacity for 1 IP addresses."
            % (subnet_name, net))

    def check_delete(self, ctx, rid, existing):
        vm = ref_id(props(existing).get("virtualMachine"))
        if vm:
            raise bad_request(
                "NicInUse",
                "Network Interface %s is used by existing resource %s. In order to delete the network "
                "interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic."
                % (existing["id"], vm))


# ---- network security groups

_DEFAULT_RULES = (
    ("AllowVnetInBound", "Inbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowAzureLoadBalancerInBound", "Inbound", 65001, "Allow", "AzureLoadBalancer", "*"),
    ("DenyAllInBound", "Inbound", 65500, "Deny", "*", "*"),
    ("AllowVnetOutBound", "Outbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
    ("AllowInternetOutBound", "Outbound", 65001, "Allow", "*", "Internet"),
    ("DenyAllOutBound", "Outbound", 65500, "Deny", "*", "*"),
)


class NetworkSecurityGroup(NetworkType):
    full_type = NSG

    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        out = tracked_base(ctx, rid, NSG, body, existing)
        nsg_id = out["id"]
        rules = []
        for rule in props(body).get("securityRules") or []:
            name = (rule or {}).get("name")
            rp_ = dict(props(rule))
            if not name or rp_.get("priority") is None or not rp_.get("direction") or not rp_.get("access"):
                raise bad_request(
                    "SecurityRuleInvalidParameters",
                    "Security rule %s/securityRules/%s has invalid parameters: name, priority, direction "
                    "and access are required." % (nsg_id, name))
            rp_["provisioningState"] = "Succeeded"
            rules.append({"name": name, "id": "%s/securityRules/%s" % (nsg_id, name),
                          "type": NSG + "/securityRules", "etag": out["etag"], "properties": rp_})
        out["properties"] = {
            "provisioningState": "Updating",
            "resourceGuid": props(existing).get("resourceGuid") or ctx.new_guid(),
            "securityRules": rules,
            "defaultSecurityRules": [
                {"name": n, "id": "%s/defaultSecurityRules/%s" % (nsg_id, n), "etag": out["etag"],
                 "type": NSG + "/defaultSecurityRules",
                 "properties": {"provisioningState": "Succeeded", "protocol": "*", "sourcePortRange": "*",
                                "destinationPortRange": "*", "sourceAddressPrefix": src,
                                "destinationAddressPrefix": dst, "access": access, "priority": prio,
                                "direction": direction, "sourcePortRanges": [], "destinationPortRanges": [],
                                "sourceAddressPrefixes": [], "destinationAddressPrefixes": []}}
                for n, direction, prio, access, src, dst in _DEFAULT_RULES],
        }
        return out

    def render(self, ctx, stored):
        out = strip_lab(stored)
        p = dict(props(out))
        nsg_id = out["id"]
        subnets, nics = [], []
        for nic in nics_in(ctx, nsg_id):
            if same_id(ref_id(props(nic).get("networkSecurityGroup")), nsg_id):
                nics.append({"id": nic["id"]})
        for vnet in ctx.list(VNET, scope=sub_scope(nsg_id)) or []:
            for sn in ctx.list(SUBNET, scope=vnet["id"]) or []:
                if same_id(ref_id(props(sn).get("networkSecurityGroup")), nsg_id):
                    subnets.append({"id": sn["id"]})
        if subnets:
            p["subnets"] = subnets
        if nics:
            p["networkInterfaces"] = nics
        out["properties"] = p
        return out

    def check_delete(self, ctx, rid, existing):
        users = props(self.render(ctx, existing))
        holders = (users.get("subnets") or []) + (users.get("networkInterfaces") or [])
        if holders:
            raise bad_request(
                "InUseNetworkSecurityGroupCannotBeDeleted",
                "Network security group %s cannot be deleted because it is in use by the following "
                "resources: %s. In order to delete the Network security group, remove the association "
                "with the resource(s). To learn how to do this, see aka.ms/deletensg."
                % (existing["id"], ", ".join(h["id"] for h in holders)))


# ---- public IP addresses


class PublicIPAddress(NetworkType):
    """Addresses come from 198.18.0.0/15 (RFC 2544 benchmarking space): never routable, clearly lab."""
    full_type = PIP
    POOL = ipaddress.ip_network("198.18.0.0/15")

    def prepare_put(self, ctx, rid, body, existing):
        body = body or {}
        out = tracked_base(ctx, rid, PIP, body, existing)
        p = props(body)
        sku = body.get("sku") or {"name": "Standard", "tier": "Regional"}
        sku = {"name": sku.get("name") or "Standard", "tier": sku.get("tier") or "Regional"}
        method = p.get("publicIPAllocationMethod") or ("Static" if sku["name"] == "Standard" else "Dynamic")
        if sku["name"] == "Standard" and method != "Static":
            raise bad_request(
                "StandardSkuPublicIPAddressesMustBeStatic",
                "Standard sku publicIp %s must be configured with Static allocation method." % out["id"])
        keep = props(existing)
        address = keep.get("ipAddress")
        if not address and method == "Static":
            address = self._allocate(ctx, out["id"])
        out["sku"] = sku
        if body.get("zones"):
            out["zones"] = list(body["zones"])
        out["properties"] = {
            "provisioningState": "Updating",
            "resourceGuid": keep.get("resourceGuid") or ctx.new_guid(),
            "publicIPAllocationMethod": method,
            "publicIPAddressVersion": p.get("publicIPAddressVersion") or "IPv4",
            "idleTimeoutInMinutes": p.get("idleTimeoutInMinutes") or 4,
            "ipTags": p.get("ipTags") or [],
        }
        if address:
            out["properties"]["ipAddress"] = address
        if p.get("dnsSettings"):
            dns = dict(p["dnsSettings"])
            if dns.get("domainNameLabel"):
                dns["fqdn"] = "%s.%s.cloudapp.azure.com" % (dns["domainNameLabel"], out["location"])
            out["properties"]["dnsSettings"] = dns
        return out

    def _allocate(self, ctx, pip_id):
        used = {props(x).get("ipAddress") for x in ctx.list(PIP, scope=sub_scope(pip_id)) or []}
        for ip in self.POOL.hosts():
            if str(ip) not in used:
                return str(ip)
        raise ArmError(409, "PublicIPCountLimitReached", "Cannot create more than %d public IP addresses."
                       % self.POOL.num_addresses)

    def render(self, ctx, stored):
        out = strip_lab(stored)
        holder = pip_holder(ctx, out["id"])
        if holder:
            p = dict(props(out))
            p["ipConfiguration"] = {"id": holder}
            out["properties"] = p
        return out

    def check_delete(self, ctx, rid, existing):
        holder = pip_holder(ctx, existing["id"])
        if holder:
            raise bad_request(
                "PublicIPAddressCannotBeDeleted",
                "Public IP address %s can not be deleted since it is still allocated to resource %s. In order "
                "to delete the public IP, disassociate/detach the Public IP address from the resource. To "
                "learn how to do this, see aka.ms/deletepublicip." % (existing["id"], holder))


RESOURCE_TYPES = [VirtualNetwork, Subnet, VirtualNetworkPeering, NetworkInterface, NetworkSecurityGroup,
                  PublicIPAddress]


# ---------------------------------------------------------------------------------------------
# what the compute provider calls (no ARM request of its own: side effects of VM operations)


def nic_vm(nic):
    return ref_id(props(nic).get("virtualMachine"))


def attach_nic(ctx, nic_id, vm_id, primary):
    nic = ctx.get(nic_id)
    if nic is None:
        return
    nic = dict(nic)
    p = dict(props(nic))
    p["virtualMachine"] = {"id": vm_id}
    p["primary"] = bool(primary)
    nic["properties"] = p
    nic["etag"] = new_etag(ctx)
    ctx.put(nic["id"], nic)


def detach_nic(ctx, nic_id):
    nic = ctx.get(nic_id)
    if nic is None:
        return
    nic = dict(nic)
    p = dict(props(nic))
    p.pop("virtualMachine", None)
    p.pop("primary", None)
    nic["properties"] = p
    nic["etag"] = new_etag(ctx)
    ctx.put(nic["id"], nic)


def set_nic_mac(ctx, nic_id):
    """A VM that runs gives its NICs a MAC address (kept afterwards, as Azure shows it)."""
    nic = ctx.get(nic_id)
    if nic is None or props(nic).get("macAddress"):
        return
    nic = dict(nic)
    p = dict(props(nic))
    p["macAddress"] = mac_for(nic["id"])
    nic["properties"] = p
    ctx.put(nic["id"], nic)
