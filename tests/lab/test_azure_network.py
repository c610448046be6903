"""Conformance of the lab's Microsoft.Network provider, through azure-mgmt-network.

Virtual networks and subnets (address rules, in-use protection), network interfaces (private IP
allocation, back-references), peerings, network security groups and public IP addresses; the
long-running-operation headers the Network RP sends.
"""
import uuid

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.network import NetworkManagementClient

LOCATION = "westeurope"


@pytest.fixture(scope="module")
def network(azure_clients):
    return azure_clients(NetworkManagementClient)


@pytest.fixture(scope="module")
def rg(resource_group):
    return resource_group("drlab-net", LOCATION)


# Helpers do not wait for the long-running operation unless asked (wait=True): the Network RP answers
# a PUT with the resource at once (201 + Azure-AsyncOperation), and each wait costs the simulator's
# Retry-After. The operations themselves are tested where they are the subject.

def _vnet(network, rg, name, prefixes, subnets=(), location=LOCATION, wait=False):
    body = {"location": location, "properties": {
        "addressSpace": {"addressPrefixes": list(prefixes)},
        "subnets": [{"name": n, "properties": {"addressPrefix": p}} for n, p in subnets]}}
    return network.virtual_networks.begin_create_or_update(rg, name, body, polling=wait).result()


def _nic(network, rg, name, subnet_id, ip=None, location=LOCATION, **props):
    cfg = {"subnet": {"id": subnet_id}}
    if ip:
        cfg.update(privateIPAllocationMethod="Static", privateIPAddress=ip)
    body = {"location": location, "properties": dict(
        ipConfigurations=[{"name": "ipconfig1", "properties": cfg}], **props)}
    return network.network_interfaces.begin_create_or_update(rg, name, body, polling=False).result()


def _ip(nic):
    return nic.properties.ip_configurations[0].properties.private_ip_address


def _code(excinfo):
    return excinfo.value.error.code


def _name(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:6])


def test_virtual_network_lifecycle(network, rg):
    name = _name("vnet")
    vnet = _vnet(network, rg, name, ["10.10.0.0/16"], [("default", "10.10.1.0/24"), ("app", "10.10.2.0/24")],
                 wait=True)
    assert vnet.properties.provisioning_state == "Succeeded"
    assert vnet.etag and vnet.etag.startswith('W/"')
    assert vnet.location == LOCATION
    assert vnet.properties.address_space.address_prefixes == ["10.10.0.0/16"]
    assert sorted(s.name for s in vnet.properties.subnets) == ["app", "default"]
    assert vnet.properties.resource_guid

    got = network.virtual_networks.get(rg, name)
    assert got.id == vnet.id
    assert got.type == "Microsoft.Network/virtualNetworks"
    assert name in [v.name for v in network.virtual_networks.list(rg)]
    assert name in [v.name for v in network.virtual_networks.list_all()]

    # the embedded subnets are child resources as well
    subnet = network.subnets.get(rg, name, "app")
    assert subnet.properties.address_prefix == "10.10.2.0/24"
    assert subnet.id == vnet.id + "/subnets/app"
    assert sorted(s.name for s in network.subnets.list(rg, name)) == ["app", "default"]

    tagged = network.virtual_networks.update_tags(rg, name, {"tags": {"env": "drill"}})
    assert tagged.tags == {"env": "drill"}
    assert tagged.etag != got.etag

    # a PUT replaces the set of subnets (a free one goes away)
    vnet = _vnet(network, rg, name, ["10.10.0.0/16"], [("default", "10.10.1.0/24")], wait=True)
    assert [s.name for s in vnet.properties.subnets] == ["default"]
    with pytest.raises(ResourceNotFoundError):
        network.subnets.get(rg, name, "app")

    network.virtual_networks.begin_delete(rg, name).result()
    with pytest.raises(ResourceNotFoundError):
        network.virtual_networks.get(rg, name)


def test_lro_headers_are_those_of_the_network_rp(network, rg):
    name = _name("vnet")
    seen = []
    body = {"location": LOCATION, "properties": {"addressSpace": {"addressPrefixes": ["10.11.0.0/16"]}}}
    poller = network.virtual_networks.begin_create_or_update(
        rg, name, body, raw_response_hook=lambda r: seen.append(r.http_response))
    poller.result()
    put = seen[0]
    assert put.request.method == "PUT"
    assert put.status_code == 201
    assert "Azure-AsyncOperation" in put.headers
    assert put.json()["properties"]["provisioningState"] == "Updating"

    seen.clear()
    network.virtual_networks.begin_delete(rg, name, raw_response_hook=lambda r: seen.append(r.http_response)).result()
    delete = seen[0]
    assert delete.request.method == "DELETE"
    assert delete.status_code == 202
    assert "Location" in delete.headers and "Azure-AsyncOperation" in delete.headers


@pytest.mark.parametrize("prefix,code", [
    ("10.99.0.0/24", "NetcfgSubnetRangeOutsideVnet"),
    ("10.12.1.128/25", "NetcfgSubnetRangesOverlap"),
    ("10.12.2.5/24", "InvalidCIDRNotation"),
    ("10.12.2.0", "InvalidAddressPrefixFormat"),
])
def test_subnet_address_rules(network, rg, prefix, code):
    name = _name("vnet")
    _vnet(network, rg, name, ["10.12.0.0/16"], [("default", "10.12.1.0/24")])
    with pytest.raises(HttpResponseError) as e:
        network.subnets.begin_create_or_update(rg, name, "bad", {"properties": {"addressPrefix": prefix}}).result()
    assert e.value.status_code == 400
    assert _code(e) == code
    # the same rules hold for subnets embedded in a virtual network PUT
    with pytest.raises(HttpResponseError) as e:
        _vnet(network, rg, name, ["10.12.0.0/16"], [("default", "10.12.1.0/24"), ("bad", prefix)])
    assert _code(e) == code


def test_nic_private_ip_allocation(network, rg):
    vnet_name = _name("vnet")
    vnet = _vnet(network, rg, vnet_name, ["10.20.0.0/16"], [("small", "10.20.0.0/29")])
    subnet_id = vnet.properties.subnets[0].id

    # Azure keeps .0-.3 and the broadcast address: a /29 has .4, .5, .6 to give
    a = _nic(network, rg, _name("nic"), subnet_id)
    assert _ip(a) == "10.20.0.4"
    cfg = a.properties.ip_configurations[0]
    assert cfg.properties.private_ip_allocation_method == "Dynamic"
    assert cfg.properties.primary is True
    assert cfg.id == a.id + "/ipConfigurations/ipconfig1"
    assert a.properties.mac_address is None and a.properties.virtual_machine is None

    with pytest.raises(HttpResponseError) as e:
        _nic(network, rg, _name("nic"), subnet_id, ip="10.20.0.4")
    assert _code(e) == "PrivateIPAddressIsAllocated"
    with pytest.raises(HttpResponseError) as e:
        _nic(network, rg, _name("nic"), subnet_id, ip="10.20.0.2")
    assert _code(e) == "PrivateIPAddressInReservedRange"
    with pytest.raises(HttpResponseError) as e:
        _nic(network, rg, _name("nic"), subnet_id, ip="10.20.1.4")
    assert _code(e) == "PrivateIPAddressNotInSubnet"

    b = _nic(network, rg, _name("nic"), subnet_id, ip="10.20.0.6")
    assert _ip(b) == "10.20.0.6"
    assert b.properties.ip_configurations[0].properties.private_ip_allocation_method == "Static"
    c = _nic(network, rg, _name("nic"), subnet_id)
    assert _ip(c) == "10.20.0.5"
    with pytest.raises(HttpResponseError) as e:
        _nic(network, rg, _name("nic"), subnet_id)
    assert _code(e) == "SubnetIsFull"

    # a dynamic address survives an update of its NIC; a deleted NIC frees its address
    again = _nic(network, rg, a.name, subnet_id, enableIPForwarding=True)
    assert _ip(again) == "10.20.0.4" and again.properties.enable_ip_forwarding is True
    network.network_interfaces.begin_delete(rg, a.name).result()
    d = _nic(network, rg, _name("nic"), subnet_id)
    assert _ip(d) == "10.20.0.4"

    # the subnet lists the IP configurations that use it
    subnet = network.subnets.get(rg, vnet_name, "small")
    assert sorted(x.id for x in subnet.properties.ip_configurations) == sorted(
        n.properties.ip_configurations[0].id for n in (b, c, d))


def test_nic_needs_an_existing_subnet_in_its_region(network, rg):
    vnet = _vnet(network, rg, _name("vnet"), ["10.21.0.0/16"], [("default", "10.21.0.0/24")])
    subnet_id = vnet.properties.subnets[0].id
    with pytest.raises(HttpResponseError) as e:
        _nic(network, rg, _name("nic"), subnet_id.replace("/subnets/default", "/subnets/missing"))
    assert e.value.status_code == 400 and _code(e) == "InvalidResourceReference"
    with pytest.raises(HttpResponseError) as e:
        _nic(network, rg, _name("nic"), subnet_id, location="northeurope")
    assert _code(e) == "InvalidResourceReference"


def test_subnet_in_use_cannot_be_deleted_or_readdressed(network, rg):
    vnet_name = _name("vnet")
    vnet = _vnet(network, rg, vnet_name, ["10.22.0.0/16"], [("used", "10.22.1.0/24"), ("free", "10.22.2.0/24")])
    nic = _nic(network, rg, _name("nic"), vnet.properties.subnets[0].id)

    with pytest.raises(HttpResponseError) as e:
        network.subnets.begin_delete(rg, vnet_name, "used").result()
    assert _code(e) == "InUseSubnetCannotBeDeleted"
    assert nic.properties.ip_configurations[0].id in e.value.error.message
    with pytest.raises(HttpResponseError) as e:
        network.subnets.begin_create_or_update(rg, vnet_name, "used", {"properties": {
            "addressPrefix": "10.22.1.0/25"}}).result()
    assert _code(e) == "InUseSubnetCannotBeUpdated"
    with pytest.raises(HttpResponseError) as e:  # a PUT that leaves it out would delete it
        _vnet(network, rg, vnet_name, ["10.22.0.0/16"], [("free", "10.22.2.0/24")])
    assert _code(e) == "InUseSubnetCannotBeDeleted"
    with pytest.raises(HttpResponseError) as e:
        network.virtual_networks.begin_delete(rg, vnet_name).result()
    assert _code(e) == "InUseSubnetCannotBeDeleted"

    network.subnets.begin_delete(rg, vnet_name, "free", polling=False)   # nothing below depends on it
    network.network_interfaces.begin_delete(rg, nic.name).result()
    network.subnets.begin_delete(rg, vnet_name, "used").result()
    network.virtual_networks.begin_delete(rg, vnet_name).result()
    with pytest.raises(ResourceNotFoundError):
        network.virtual_networks.get(rg, vnet_name)


def test_peering_states(network, rg):
    hub = _vnet(network, rg, _name("hub"), ["10.30.0.0/16"])
    spoke = _vnet(network, rg, _name("spoke"), ["10.31.0.0/16"])
    body = {"properties": {"remoteVirtualNetwork": {"id": spoke.id}, "allowVirtualNetworkAccess": True}}
    out = network.virtual_network_peerings.begin_create_or_update(rg, hub.name, "to-spoke", body).result()
    assert out.properties.peering_state == "Initiated"
    assert out.properties.remote_virtual_network.id == spoke.id
    assert out.properties.remote_address_space.address_prefixes == ["10.31.0.0/16"]

    back = {"properties": {"remoteVirtualNetwork": {"id": hub.id}}}
    back = network.virtual_network_peerings.begin_create_or_update(rg, spoke.name, "to-hub", back).result()
    assert back.properties.peering_state == "Connected"
    assert network.virtual_network_peerings.get(rg, hub.name, "to-spoke").properties.peering_state == "Connected"
    assert [p.name for p in network.virtual_networks.get(rg, hub.name).properties.virtual_network_peerings] == [
        "to-spoke"]

    network.virtual_network_peerings.begin_delete(rg, spoke.name, "to-hub").result()
    assert network.virtual_network_peerings.get(rg, hub.name, "to-spoke").properties.peering_state == "Disconnected"

    overlapping = _vnet(network, rg, _name("overlap"), ["10.30.128.0/17"])
    with pytest.raises(HttpResponseError) as e:
        network.virtual_network_peerings.begin_create_or_update(
            rg, hub.name, "bad", {"properties": {"remoteVirtualNetwork": {"id": overlapping.id}}}).result()
    assert _code(e) == "VnetAddressSpacesOverlap"
    with pytest.raises(HttpResponseError) as e:
        network.virtual_network_peerings.begin_create_or_update(
            rg, hub.name, "bad", {"properties": {"remoteVirtualNetwork": {"id": spoke.id + "x"}}}).result()
    assert _code(e) == "InvalidGlobalResourceReference"


def test_security_group_and_public_ip(network, rg):
    nsg = network.network_security_groups.begin_create_or_update(rg, _name("nsg"), {
        "location": LOCATION, "properties": {"securityRules": [{"name": "rdp", "properties": {
            "protocol": "Tcp", "sourcePortRange": "*", "destinationPortRange": "3389", "sourceAddressPrefix": "*",
            "destinationAddressPrefix": "*", "access": "Allow", "priority": 300, "direction": "Inbound"}}]}}).result()
    assert [r.name for r in nsg.properties.security_rules] == ["rdp"]
    assert len(nsg.properties.default_security_rules) == 6

    vnet_name = _name("vnet")
    network.virtual_networks.begin_create_or_update(rg, vnet_name, {"location": LOCATION, "properties": {
        "addressSpace": {"addressPrefixes": ["10.40.0.0/16"]},
        "subnets": [{"name": "default", "properties": {"addressPrefix": "10.40.0.0/24",
                                                       "networkSecurityGroup": {"id": nsg.id}}}]}}).result()
    assert network.subnets.get(rg, vnet_name, "default").properties.network_security_group.id == nsg.id
    assert [s.id for s in network.network_security_groups.get(rg, nsg.name).properties.subnets] == [
        network.subnets.get(rg, vnet_name, "default").id]
    with pytest.raises(HttpResponseError) as e:
        network.network_security_groups.begin_delete(rg, nsg.name).result()
    assert _code(e) == "InUseNetworkSecurityGroupCannotBeDeleted"

    pip = network.public_ip_addresses.begin_create_or_update(rg, _name("pip"), {
        "location": LOCATION, "sku": {"name": "Standard"},
        "properties": {"publicIPAllocationMethod": "Static"}}).result()
    assert pip.properties.ip_address.startswith("198.1")
    nic_body = {"location": LOCATION, "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": {
        "subnet": {"id": network.subnets.get(rg, vnet_name, "default").id},
        "publicIPAddress": {"id": pip.id}}}]}}
    nic = network.network_interfaces.begin_create_or_update(rg, _name("nic"), nic_body).result()
    assert network.public_ip_addresses.get(rg, pip.name).properties.ip_configuration.id == \
        nic.properties.ip_configurations[0].id
    with pytest.raises(HttpResponseError) as e:
        network.public_ip_addresses.begin_delete(rg, pip.name).result()
    assert _code(e) == "PublicIPAddressCannotBeDeleted"
    network.network_interfaces.begin_delete(rg, nic.name).result()
    network.public_ip_addresses.begin_delete(rg, pip.name).result()
