// Command vcsim-lab serves the dr.asr lab's vCenter: govmomi's simulator (vcsim) with an inventory
// read from a JSON file (written by drlab.vcenter.inventory from lab/config/vcenter.yml).
//
// It is built from Debian's golang-github-vmware-govmomi-dev source package in GOPATH mode (see
// drlab/vcenter/build.py); it needs nothing outside the Go standard library and govmomi.
//
// What it adds to the stock simulator:
//
//   - an inventory described by data: datacenters, clusters, hosts with their ESXi version, datastores,
//     standard portgroups, VM folders and VMs with their hardware, guest state and identity;
//   - HTTPS with the lab CA's certificate (full chain PEM), and only one accepted user/password:
//     token and certificate logins, which the simulator accepts without checking, are refused;
//   - custom attributes (SOAP) and tags (vAPI REST, /rest/com/vmware/cis/tagging/...);
//   - a READY line on stdout, a pid file and a clean shutdown on SIGTERM/SIGINT.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/ioutil"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/rest"
	_ "github.com/vmware/govmomi/vapi/simulator" // registers the vAPI (REST) endpoints: tags
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// ---------------------------------------------------------------------------------------------
// Inventory file (schema 1). Every field is explicit: defaults are filled in by inventory.py.

type Inventory struct {
	Schema           int           `json:"schema"`
	VCenter          VCenter       `json:"vcenter"`
	CustomAttributes []CustomAttr  `json:"custom_attributes"`
	TagCategories    []TagCategory `json:"tag_categories"`
	Datacenters      []Datacenter  `json:"datacenters"`
}

type VCenter struct {
	Version      string `json:"version"`
	Build        string `json:"build"`
	APIVersion   string `json:"api_version"`
	InstanceUUID string `json:"instance_uuid"`
}

type CustomAttr struct {
	Name   string `json:"name"`
	MoType string `json:"mo_type"`
}

type TagCategory struct {
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	Cardinality     string   `json:"cardinality"`
	AssociableTypes []string `json:"associable_types"`
	Tags            []TagDef `json:"tags"`
}

type TagDef struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type Datacenter struct {
	Name       string      `json:"name"`
	VMFolders  []string    `json:"vm_folders"`
	Clusters   []Cluster   `json:"clusters"`
	Hosts      []Host      `json:"hosts"`
	Networks   []Network   `json:"networks"`
	Datastores []Datastore `json:"datastores"`
	VMs        []VM        `json:"vms"`
}

type Cluster struct {
	Name  string `json:"name"`
	DRS   bool   `json:"drs"`
	HA    bool   `json:"ha"`
	Hosts []Host `json:"hosts"`
}

type Host struct {
	Name            string `json:"name"`
	Version         string `json:"version"`
	Build           string `json:"build"`
	APIVersion      string `json:"api_version"`
	Vendor          string `json:"vendor"`
	Model           string `json:"model"`
	ConnectionState string `json:"connection_state"`
	Maintenance     bool   `json:"maintenance"`
}

type Network struct {
	Name    string   `json:"name"`
	VlanID  int32    `json:"vlan"`
	VSwitch string   `json:"vswitch"`
	Hosts   []string `json:"hosts"`
}

type Datastore struct {
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	CapacityGB int64    `json:"capacity_gb"`
	Hosts      []string `json:"hosts"`
}

type VM struct {
	Name          string            `json:"name"`
	Folder        string            `json:"folder"`
	Host          string            `json:"host"`
	Datastore     string            `json:"datastore"`
	GuestID       string            `json:"guest_id"`
	GuestFullName string            `json:"guest_full_name"`
	GuestFamily   string            `json:"guest_family"`
	NumCPU        int32             `json:"num_cpu"`
	CoresPerSock  int32             `json:"cores_per_socket"`
	MemoryMB      int64             `json:"memory_mb"`
	Firmware      string            `json:"firmware"`
	SecureBoot    bool              `json:"secure_boot"`
	HWVersion     string            `json:"hw_version"`
	UUID          string            `json:"uuid"`
	InstanceUUID  string            `json:"instance_uuid"`
	Annotation    string            `json:"annotation"`
	PowerState    string            `json:"power_state"` // poweredOn | poweredOff | suspended
	Tools         string            `json:"tools"`       // running | not_running | not_installed
	ToolsVersion  int32             `json:"tools_version"`
	Hostname      string            `json:"hostname"`
	Disks         []Disk            `json:"disks"`
	NICs          []NIC             `json:"nics"`
	Attributes    map[string]string `json:"attributes"`
	Tags          []string          `json:"tags"` // "Category/tag"
}

type Disk struct {
	Label      string `json:"label"`
	SizeGB     int64  `json:"size_gb"`
	Datastore  string `json:"datastore"`
	Controller string `json:"controller"` // pvscsi | lsilogic | lsilogic-sas | buslogic | nvme | sata
	Bus        int32  `json:"bus"`
	Unit       int32  `json:"unit"`
	Mode       string `json:"mode"`    // persistent | independent_persistent | independent_nonpersistent
	Sharing    string `json:"sharing"` // sharingNone | sharingMultiWriter
	Thin       bool   `json:"thin"`
	UUID       string `json:"uuid"`
	GuestPath  string `json:"guest_path"`
}

type NIC struct {
	Label       string   `json:"label"`
	Network     string   `json:"network"`
	MAC         string   `json:"mac"`
	AddressType string   `json:"address_type"` // assigned | manual | generated
	Adapter     string   `json:"adapter"`      // vmxnet3 | e1000e | e1000
	Connected   bool     `json:"connected"`
	IPs         []string `json:"ips"`
}

// ---------------------------------------------------------------------------------------------

type options struct {
	listen, tlsCert, tlsKey, inventory, username, password, pidFile, datastoreDir string
}

func main() {
	log.SetPrefix("vcsim-lab: ")
	var o options
	flag.StringVar(&o.listen, "listen", "127.0.0.1:18989", "host:port to serve HTTPS on")
	flag.StringVar(&o.tlsCert, "tlscert", "", "server certificate, PEM (leaf followed by its chain)")
	flag.StringVar(&o.tlsKey, "tlskey", "", "server private key, PEM")
	flag.StringVar(&o.inventory, "inventory", "", "inventory JSON file (written by drlab.vcenter.inventory)")
	flag.StringVar(&o.username, "username", "", "the only user name accepted")
	flag.StringVar(&o.password, "password", "", "the only password accepted (or env VCSIM_LAB_PASSWORD)")
	flag.StringVar(&o.pidFile, "pidfile", "", "write the process id to this file while serving")
	flag.StringVar(&o.datastoreDir, "datastore-dir", "",
		"directory backing the datastores; emptied at start and removed at exit (default: a temp dir)")
	flag.Parse()
	if o.password == "" {
		o.password = os.Getenv("VCSIM_LAB_PASSWORD")
	}
	if err := run(o); err != nil {
		log.Printf("error: %v", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.tlsCert == "" || o.tlsKey == "" {
		return errors.New("-tlscert and -tlskey are required (the lab serves HTTPS only)")
	}
	if o.inventory == "" {
		return errors.New("-inventory is required")
	}
	if o.username == "" || o.password == "" {
		return errors.New("-username and -password are required")
	}
	cert, err := tls.LoadX509KeyPair(o.tlsCert, o.tlsKey)
	if err != nil {
		return fmt.Errorf("loading TLS certificate: %v", err)
	}
	inv, err := loadInventory(o.inventory)
	if err != nil {
		return err
	}
	// Catch SIGTERM/SIGINT from here on, so even an early one ends in a clean shutdown.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	dsRoot, err := prepareDatastoreDir(o.datastoreDir)
	if err != nil {
		return err
	}
	defer os.RemoveAll(dsRoot)

	// An empty vCenter: the service instance, its managers and the root folder, nothing else.
	model := simulator.VPX()
	model.Datacenter, model.Portgroup, model.Host, model.Cluster, model.ClusterHost = 0, 0, 0, 0, 0
	model.Datastore, model.Machine, model.Autostart = 0, 0, false
	about := &model.ServiceContent.About
	about.Version = inv.VCenter.Version
	about.Build = inv.VCenter.Build
	about.ApiVersion = inv.VCenter.APIVersion
	about.FullName = fmt.Sprintf("VMware vCenter Server %s build-%s", about.Version, about.Build)
	about.InstanceUuid = inv.VCenter.InstanceUUID
	about.LicenseProductVersion = majorMinor(inv.VCenter.Version)
	if err := model.Create(); err != nil {
		return fmt.Errorf("creating the simulator model: %v", err)
	}
	defer model.Remove()

	ctx := context.Background()
	// In-process client: inventory calls go straight to the simulator, before anything listens.
	client, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return err
	}
	b := &builder{ctx: ctx, c: client, dsRoot: dsRoot}
	if err := b.build(inv); err != nil {
		return fmt.Errorf("building the inventory: %v", err)
	}

	serveCfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
		ClientAuth: tls.NoClientCert, NextProtos: []string{"http/1.1"}}
	model.Service.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		// The simulator asks for client certificates (for LoginExtensionByCertificate, which it
		// accepts for any certificate); the lab never does.
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return serveCfg, nil },
	}
	model.Service.Listen = &url.URL{Host: o.listen, User: url.UserPassword(o.username, o.password)}
	model.Service.RegisterEndpoints = true

	server, err := newServer(model.Service)
	if err != nil {
		return err
	}
	// Guard the login paths the simulator does not check against Listen.User. Set before READY is
	// printed, i.e. before any lab client knows about this server.
	server.Config.Handler = &guard{next: model.Service.ServeMux, user: o.username, pass: o.password}

	sdkURL := *server.URL
	sdkURL.User = nil
	if err := b.applyTags(ctx, inv, &sdkURL, o); err != nil {
		server.Close()
		return fmt.Errorf("creating tags: %v", err)
	}

	if o.pidFile != "" {
		if err := ioutil.WriteFile(o.pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			server.Close()
			return fmt.Errorf("writing pid file: %v", err)
		}
		defer os.Remove(o.pidFile)
	}

	var sig os.Signal
	select {
	case sig = <-sigs: // stopped while starting: never announce READY
	default:
		fmt.Printf("VCSIM-LAB READY %s\n", sdkURL.String())
		sig = <-sigs
	}
	log.Printf("%s: shutting down", sig)
	done := make(chan struct{})
	go func() { server.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second): // e.g. a client blocked in WaitForUpdatesEx
		log.Printf("open requests did not finish in 5s; exiting anyway")
	}
	return nil
}

func newServer(s *simulator.Service) (srv *simulator.Server, err error) {
	defer func() { // the simulator panics when it cannot listen
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot serve: %v", r)
		}
	}()
	return s.NewServer(), nil
}

func loadInventory(p string) (*Inventory, error) {
	data, err := ioutil.ReadFile(p)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("%s: %v", p, err)
	}
	if inv.Schema != 1 {
		return nil, fmt.Errorf("%s: unsupported schema %d (want 1)", p, inv.Schema)
	}
	return &inv, nil
}

const dsMarker = ".vcsim-lab-datastores"

// prepareDatastoreDir returns an empty directory for the datastores' files. The simulator names VM
// directories after the VM and renames on collision, so a fresh directory keeps paths (and the
// UUIDs derived from them) stable. A given directory is only emptied if it is ours (marker file).
func prepareDatastoreDir(dir string) (string, error) {
	if dir == "" {
		return ioutil.TempDir("", "vcsim-lab-")
	}
	entries, err := ioutil.ReadDir(dir)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return "", err
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(dir, dsMarker)); err != nil {
			return "", fmt.Errorf("-datastore-dir %s is not empty and was not created by vcsim-lab", dir)
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return dir, ioutil.WriteFile(filepath.Join(dir, dsMarker), nil, 0o600)
}

func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// ---------------------------------------------------------------------------------------------
// Authentication guard.

var tokenLogin = regexp.MustCompile(`<([A-Za-z0-9_]+:)?(LoginByToken|LoginExtensionByCertificate|LoginExtensionBySubjectName|LoginBySSPI)[\s>/]`)

const invalidLoginFault = `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns="urn:vim25" xsi:type="InvalidLogin"></InvalidLoginFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

type guard struct {
	next       http.Handler
	user, pass string
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/sdk"):
		body, err := ioutil.ReadAll(io.LimitReader(r.Body, 64<<20))
		_ = r.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if tokenLogin.Match(body) {
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, invalidLoginFault)
			return
		}
		r.Body = ioutil.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/com/vmware/cis/session") &&
		r.URL.Query().Get("~action") == "":
		// vAPI session creation: the simulator accepts any non-empty user/password.
		u, p, ok := r.BasicAuth()
		if !ok || u != g.user || p != g.pass {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"type":"com.vmware.vapi.std.errors.unauthenticated","value":{"messages":[]}}`)
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// ---------------------------------------------------------------------------------------------
// Inventory builder.

type builder struct {
	ctx    context.Context
	c      *vim25.Client
	dsRoot string

	// per datacenter
	dc          *simulator.Datacenter
	hosts       map[string]*simulator.HostSystem
	hostOrder   []string
	pools       map[string]*object.ResourcePool // host name -> root pool of its compute resource
	networks    map[string]*mo.Network
	datastores  map[string]*simulator.Datastore
	dsCapacity  map[string]int64
	vmFolders   map[string]*object.Folder
	vmsByName   map[string]types.ManagedObjectReference
	allVMs      []vmRef
	customField map[string]int32
}

type vmRef struct {
	ref  types.ManagedObjectReference
	spec VM
}

func (b *builder) build(inv *Inventory) error {
	if err := b.customAttributes(inv); err != nil {
		return err
	}
	root := object.NewRootFolder(b.c)
	for _, dcSpec := range inv.Datacenters {
		if err := b.datacenter(root, dcSpec); err != nil {
			return fmt.Errorf("datacenter %q: %v", dcSpec.Name, err)
		}
	}
	return nil
}

func (b *builder) customAttributes(inv *Inventory) error {
	b.customField = map[string]int32{}
	if len(inv.CustomAttributes) == 0 {
		return nil
	}
	m, err := object.GetCustomFieldsManager(b.c)
	if err != nil {
		return err
	}
	for _, a := range inv.CustomAttributes {
		def, err := m.Add(b.ctx, a.Name, a.MoType, nil, nil)
		if err != nil {
			return fmt.Errorf("custom attribute %q: %v", a.Name, err)
		}
		b.customField[a.Name] = def.Key
	}
	return nil
}

func (b *builder) datacenter(root *object.Folder, spec Datacenter) error {
	dcObj, err := root.CreateDatacenter(b.ctx, spec.Name)
	if err != nil {
		return err
	}
	b.dc = simulator.Map.Get(dcObj.Reference()).(*simulator.Datacenter)
	b.hosts = map[string]*simulator.HostSystem{}
	b.hostOrder = nil
	b.pools = map[string]*object.ResourcePool{}
	b.networks = map[string]*mo.Network{}
	b.datastores = map[string]*simulator.Datastore{}
	b.dsCapacity = map[string]int64{}
	b.vmFolders = map[string]*object.Folder{}
	b.vmsByName = map[string]types.ManagedObjectReference{}
	folders, err := dcObj.Folders(b.ctx)
	if err != nil {
		return err
	}

	for _, cl := range spec.Clusters {
		cfg := types.ClusterConfigSpecEx{
			DrsConfig: &types.ClusterDrsConfigInfo{Enabled: types.NewBool(cl.DRS),
				DefaultVmBehavior: types.DrsBehaviorFullyAutomated},
			DasConfig: &types.ClusterDasConfigInfo{Enabled: types.NewBool(cl.HA)},
		}
		cluster, err := folders.HostFolder.CreateCluster(b.ctx, cl.Name, cfg)
		if err != nil {
			return fmt.Errorf("cluster %q: %v", cl.Name, err)
		}
		pool, err := cluster.ResourcePool(b.ctx)
		if err != nil {
			return err
		}
		for _, h := range cl.Hosts {
			task, err := cluster.AddHost(b.ctx, types.HostConnectSpec{HostName: h.Name, Force: true}, true, nil, nil)
			if err != nil {
				return fmt.Errorf("host %q: %v", h.Name, err)
			}
			if err := b.addedHost(task, h, pool); err != nil {
				return err
			}
		}
		ccr := simulator.Map.Get(cluster.Reference()).(*simulator.ClusterComputeResource)
		if ccr.Summary != nil {
			s := ccr.Summary.(*types.ClusterComputeResourceSummary)
			s.CurrentBalance, s.TargetBalance = 0, 0
		}
	}
	for _, h := range spec.Hosts {
		task, err := folders.HostFolder.AddStandaloneHost(b.ctx, types.HostConnectSpec{HostName: h.Name, Force: true},
			true, nil, nil)
		if err != nil {
			return fmt.Errorf("host %q: %v", h.Name, err)
		}
		if err := b.addedHost(task, h, nil); err != nil {
			return err
		}
	}

	for _, n := range spec.Networks {
		if err := b.network(n); err != nil {
			return fmt.Errorf("network %q: %v", n.Name, err)
		}
	}
	for _, d := range spec.Datastores {
		if err := b.datastore(d); err != nil {
			return fmt.Errorf("datastore %q: %v", d.Name, err)
		}
	}
	b.vmFolders[""] = folders.VmFolder
	for _, p := range spec.VMFolders {
		if _, err := b.vmFolder(p); err != nil {
			return fmt.Errorf("vm folder %q: %v", p, err)
		}
	}
	for _, vm := range spec.VMs {
		if err := b.vm(vm); err != nil {
			return fmt.Errorf("vm %q: %v", vm.Name, err)
		}
	}
	b.datastoreUsage()
	return nil
}

func (b *builder) addedHost(task *object.Task, spec Host, pool *object.ResourcePool) error {
	info, err := task.WaitForResult(b.ctx, nil)
	if err != nil {
		return fmt.Errorf("host %q: %v", spec.Name, err)
	}
	ref := info.Result.(types.ManagedObjectReference)
	h := simulator.Map.Get(ref).(*simulator.HostSystem)
	if pool == nil {
		cr := simulator.Map.Get(*h.Parent).(*mo.ComputeResource)
		pool = object.NewResourcePool(b.c, *cr.ResourcePool)
	}
	b.hosts[spec.Name] = h
	b.hostOrder = append(b.hostOrder, spec.Name)
	b.pools[spec.Name] = pool

	product := types.AboutInfo{
		Name:                  "VMware ESXi",
		FullName:              fmt.Sprintf("VMware ESXi %s build-%s", spec.Version, spec.Build),
		Vendor:                "VMware, Inc.",
		Version:               spec.Version,
		Build:                 spec.Build,
		LocaleVersion:         "INTL",
		LocaleBuild:           "000",
		OsType:                "vmnix-x86",
		ProductLineId:         "embeddedEsx",
		ApiType:               "HostAgent",
		ApiVersion:            spec.APIVersion,
		LicenseProductName:    "VMware ESX Server",
		LicenseProductVersion: majorMinor(spec.Version),
	}
	h.Config.Product = product
	p := product
	h.Summary.Config.Product = &p
	if spec.Vendor != "" {
		h.Summary.Hardware.Vendor = spec.Vendor
		h.Hardware.SystemInfo.Vendor = spec.Vendor
	}
	if spec.Model != "" {
		h.Summary.Hardware.Model = spec.Model
		h.Hardware.SystemInfo.Model = spec.Model
	}
	switch spec.ConnectionState {
	case "", "connected":
		h.Runtime.ConnectionState = types.HostSystemConnectionStateConnected
	case "disconnected":
		h.Runtime.ConnectionState = types.HostSystemConnectionStateDisconnected
	case "notResponding":
		h.Runtime.ConnectionState = types.HostSystemConnectionStateNotResponding
	default:
		return fmt.Errorf("host %q: unknown connection_state %q", spec.Name, spec.ConnectionState)
	}
	h.Runtime.InMaintenanceMode = spec.Maintenance
	// Networks and datastores are linked below; start from none (the simulator shares slices here).
	h.Network = nil
	h.Datastore = nil
	return nil
}

func (b *builder) hostsFor(names []string) ([]*simulator.HostSystem, error) {
	if len(names) == 0 {
		names = b.hostOrder
	}
	var res []*simulator.HostSystem
	for _, n := range names {
		h, ok := b.hosts[n]
		if !ok {
			return nil, fmt.Errorf("unknown host %q", n)
		}
		res = append(res, h)
	}
	return res, nil
}

func findByName(name string, refs []types.ManagedObjectReference) mo.Reference {
	for _, ref := range refs {
		if obj := simulator.Map.Get(ref); obj != nil {
			if e, ok := obj.(mo.Entity); ok && e.Entity().Name == name {
				return obj
			}
		}
	}
	return nil
}

func appendRef(refs []types.ManagedObjectReference, ref types.ManagedObjectReference) []types.ManagedObjectReference {
	for _, r := range refs {
		if r == ref {
			return refs
		}
	}
	out := make([]types.ManagedObjectReference, 0, len(refs)+1)
	out = append(out, refs...)
	return append(out, ref)
}

func computeResourceOf(h *simulator.HostSystem) *mo.ComputeResource {
	switch cr := simulator.Map.Get(*h.Parent).(type) {
	case *mo.ComputeResource:
		return cr
	case *simulator.ClusterComputeResource:
		return &cr.ComputeResource
	}
	return nil
}

// network creates (or reuses, e.g. the default "VM Network") a standard portgroup network and
// adds the portgroup to each host's vSwitch.
func (b *builder) network(spec Network) error {
	hosts, err := b.hostsFor(spec.Hosts)
	if err != nil {
		return err
	}
	vswitch := spec.VSwitch
	if vswitch == "" {
		vswitch = "vSwitch0"
	}
	var netObj *mo.Network
	if obj := findByName(spec.Name, b.dc.Network); obj != nil {
		n, ok := obj.(*mo.Network)
		if !ok {
			return fmt.Errorf("%s exists and is not a standard network", obj.Reference())
		}
		netObj = n
	} else {
		folder := simulator.Map.Get(b.dc.NetworkFolder).(*simulator.Folder)
		netObj = &mo.Network{}
		netObj.Name = spec.Name
		simulator.Map.PutEntity(folder, netObj)
		folder.ChildEntity = appendRef(folder.ChildEntity, netObj.Self)
		b.dc.Network = appendRef(b.dc.Network, netObj.Self)
	}
	netObj.Summary = &types.NetworkSummary{Network: &netObj.Self, Name: spec.Name, Accessible: true}
	b.networks[spec.Name] = netObj

	for _, h := range hosts {
		ns := simulator.Map.Get(*h.ConfigManager.NetworkSystem).(*simulator.HostNetworkSystem)
		info := ns.NetworkInfo
		var portgroups []types.HostPortGroup
		for _, pg := range info.Portgroup {
			if pg.Spec.Name != spec.Name {
				portgroups = append(portgroups, pg)
			}
		}
		portgroups = append(portgroups, types.HostPortGroup{
			Key:     "key-vim.host.PortGroup-" + spec.Name,
			Vswitch: "key-vim.host.VirtualSwitch-" + vswitch,
			Spec: types.HostPortGroupSpec{Name: spec.Name, VlanId: spec.VlanID, VswitchName: vswitch,
				Policy: types.HostNetworkPolicy{}},
		})
		info.Portgroup = portgroups
		found := false
		for i := range info.Vswitch {
			if info.Vswitch[i].Name == vswitch {
				found = true
				names := []string{}
				for _, n := range info.Vswitch[i].Portgroup {
					if n != spec.Name {
						names = append(names, n)
					}
				}
				info.Vswitch[i].Portgroup = append(names, spec.Name)
			}
		}
		if !found {
			info.Vswitch = append(info.Vswitch, types.HostVirtualSwitch{
				Name: vswitch, Key: "key-vim.host.VirtualSwitch-" + vswitch, Portgroup: []string{spec.Name}})
		}
		if h.Config != nil && h.Config.Network != nil {
			h.Config.Network.Portgroup = append([]types.HostPortGroup(nil), portgroups...)
			h.Config.Network.Vswitch = append([]types.HostVirtualSwitch(nil), info.Vswitch...)
		}
		h.Network = appendRef(h.Network, netObj.Self)
		netObj.Host = appendRef(netObj.Host, h.Self)
		if cr := computeResourceOf(h); cr != nil {
			cr.Network = appendRef(cr.Network, netObj.Self)
		}
	}
	return nil
}

// datastore creates one datastore mounted on the given hosts (all hosts of the datacenter by
// default), backed by a directory under dsRoot. It does what HostDatastoreSystem.CreateLocalDatastore
// does, but once per datastore instead of once per host, and with a "datastore-N" moref.
func (b *builder) datastore(spec Datastore) error {
	hosts, err := b.hostsFor(spec.Hosts)
	if err != nil {
		return err
	}
	if len(hosts) == 0 {
		return errors.New("no host to mount it on")
	}
	dir := filepath.Join(b.dsRoot, spec.Name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	capacity := spec.CapacityGB << 30
	dsType := spec.Type
	if dsType == "" {
		dsType = "VMFS"
	}
	ds := &simulator.Datastore{}
	ds.Name = spec.Name
	now := time.Now()
	base := types.DatastoreInfo{Name: spec.Name, Url: dir, FreeSpace: capacity, MaxFileSize: 62 << 40,
		MaxVirtualDiskCapacity: 62 << 40, MaxMemoryFileSize: 62 << 40, Timestamp: &now}
	if dsType == "VMFS" {
		ds.Info = &types.VmfsDatastoreInfo{DatastoreInfo: base, MaxPhysicalRDMFileSize: 62 << 40,
			MaxVirtualRDMFileSize: 62 << 40,
			Vmfs: &types.HostVmfsVolume{
				HostFileSystemVolume: types.HostFileSystemVolume{Type: "VMFS", Name: spec.Name, Capacity: capacity},
				BlockSizeMb:          1, BlockSize: 1024, MaxBlocks: 63963136, MajorVersion: 6, Version: "6.82",
				Uuid: "vmfs-" + spec.Name, Local: types.NewBool(false),
			}}
	} else {
		ds.Info = &types.LocalDatastoreInfo{DatastoreInfo: base, Path: dir}
	}
	ds.Summary = types.DatastoreSummary{
		Name: spec.Name, Url: dir, Capacity: capacity, FreeSpace: capacity, Type: dsType,
		Accessible: true, MultipleHostAccess: types.NewBool(len(hosts) > 1),
		MaintenanceMode: string(types.DatastoreSummaryMaintenanceModeStateNormal),
	}
	ds.Capability = types.DatastoreCapability{
		DirectoryHierarchySupported:      true,
		PerFileThinProvisioningSupported: true,
		StorageIORMSupported:             types.NewBool(true),
		NativeSnapshotSupported:          types.NewBool(false),
		TopLevelDirectoryCreateSupported: types.NewBool(true),
		SeSparseSupported:                types.NewBool(true),
	}
	folder := simulator.Map.Get(b.dc.DatastoreFolder).(*simulator.Folder)
	simulator.Map.PutEntity(folder, ds)
	ds.Summary.Datastore = &ds.Self
	folder.ChildEntity = appendRef(folder.ChildEntity, ds.Self)
	b.dc.Datastore = appendRef(b.dc.Datastore, ds.Self)

	for _, h := range hosts {
		h.Datastore = appendRef(h.Datastore, ds.Self)
		dss := simulator.Map.Get(*h.ConfigManager.DatastoreSystem).(*simulator.HostDatastoreSystem)
		dss.Datastore = appendRef(dss.Datastore, ds.Self)
		if cr := computeResourceOf(h); cr != nil {
			cr.Datastore = appendRef(cr.Datastore, ds.Self)
		}
		ds.Host = append(ds.Host, types.DatastoreHostMount{
			Key: h.Self,
			MountInfo: types.HostMountInfo{Path: "/vmfs/volumes/" + spec.Name,
				AccessMode: string(types.HostMountModeReadWrite),
				Mounted:    types.NewBool(true), Accessible: types.NewBool(true)},
		})
	}
	browser := &simulator.HostDatastoreBrowser{}
	browser.Datastore = []types.ManagedObjectReference{ds.Self}
	ds.Browser = simulator.Map.Put(browser).Reference()

	b.datastores[spec.Name] = ds
	b.dsCapacity[spec.Name] = capacity
	return nil
}

func (b *builder) vmFolder(p string) (*object.Folder, error) {
	p = strings.Trim(p, "/")
	if p == "." {
		p = ""
	}
	if f, ok := b.vmFolders[p]; ok {
		return f, nil
	}
	parent, err := b.vmFolder(path.Dir(p))
	if err != nil {
		return nil, err
	}
	f, err := parent.CreateFolder(b.ctx, path.Base(p))
	if err != nil {
		return nil, err
	}
	b.vmFolders[p] = f
	return f, nil
}

// ---------------------------------------------------------------------------------------------
// Virtual machines.

func scsiController(kind string) (types.BaseVirtualDevice, error) {
	var d types.BaseVirtualSCSIController
	switch kind {
	case "pvscsi":
		d = &types.ParaVirtualSCSIController{}
	case "lsilogic":
		d = &types.VirtualLsiLogicController{}
	case "lsilogic-sas":
		d = &types.VirtualLsiLogicSASController{}
	case "buslogic":
		d = &types.VirtualBusLogicController{}
	default:
		return nil, fmt.Errorf("unknown disk controller %q", kind)
	}
	c := d.GetVirtualSCSIController()
	c.SharedBus = types.VirtualSCSISharingNoSharing
	c.ScsiCtlrUnitNumber = 7
	c.HotAddRemove = types.NewBool(true)
	return d.(types.BaseVirtualDevice), nil
}

func ethernetCard(kind string) (types.BaseVirtualEthernetCard, error) {
	switch kind {
	case "vmxnet3":
		return &types.VirtualVmxnet3{}, nil
	case "e1000e":
		return &types.VirtualE1000e{}, nil
	case "e1000":
		return &types.VirtualE1000{}, nil
	case "vmxnet2":
		return &types.VirtualVmxnet2{}, nil
	}
	return nil, fmt.Errorf("unknown network adapter %q", kind)
}

func kb(n int64) string { // "62,914,560 KB" as vSphere writes disk summaries
	s := strconv.FormatInt(n, 10)
	var out []string
	for len(s) > 3 {
		out = append([]string{s[len(s)-3:]}, out...)
		s = s[:len(s)-3]
	}
	out = append([]string{s}, out...)
	return strings.Join(out, ",") + " KB"
}

func (b *builder) vm(spec VM) error {
	if _, dup := b.vmsByName[spec.Name]; dup {
		return errors.New("duplicate VM name in the datacenter")
	}
	host, ok := b.hosts[spec.Host]
	if !ok {
		return fmt.Errorf("unknown host %q", spec.Host)
	}
	mounted := func(name string) error {
		ds, ok := b.datastores[name]
		if !ok {
			return fmt.Errorf("unknown datastore %q", name)
		}
		for _, ref := range host.Datastore {
			if ref == ds.Self {
				return nil
			}
		}
		return fmt.Errorf("datastore %q is not mounted on host %q", name, spec.Host)
	}
	if err := mounted(spec.Datastore); err != nil {
		return err
	}
	for i, d := range spec.Disks {
		if err := mounted(d.Datastore); err != nil {
			return fmt.Errorf("disk %d: %v", i+1, err)
		}
	}
	folder, ok := b.vmFolders[strings.Trim(spec.Folder, "/")]
	if !ok {
		return fmt.Errorf("unknown folder %q (list it in vm_folders)", spec.Folder)
	}

	var devices []types.BaseVirtualDevice
	// Controllers: one per (type, bus) used by a disk, keys as vSphere numbers them.
	type ctrlKey struct {
		kind string
		bus  int32
	}
	controllers := map[ctrlKey]int32{}
	var ctrlOrder []ctrlKey
	for _, d := range spec.Disks {
		k := ctrlKey{d.Controller, d.Bus}
		if _, ok := controllers[k]; !ok {
			controllers[k] = 0
			ctrlOrder = append(ctrlOrder, k)
		}
	}
	sort.SliceStable(ctrlOrder, func(i, j int) bool {
		rank := func(k ctrlKey) int {
			switch k.kind {
			case "sata":
				return 1
			case "nvme":
				return 2
			}
			return 0
		}
		if rank(ctrlOrder[i]) != rank(ctrlOrder[j]) {
			return rank(ctrlOrder[i]) < rank(ctrlOrder[j])
		}
		return ctrlOrder[i].bus < ctrlOrder[j].bus
	})
	for i, k := range ctrlOrder {
		var dev types.BaseVirtualDevice
		var key int32
		var label string
		switch k.kind {
		case "sata":
			dev, key, label = &types.VirtualAHCIController{}, 15000+k.bus, fmt.Sprintf("SATA controller %d", k.bus)
		case "nvme":
			dev, key, label = &types.VirtualNVMEController{}, 31000+k.bus, fmt.Sprintf("NVME controller %d", k.bus)
		default:
			var err error
			if dev, err = scsiController(k.kind); err != nil {
				return err
			}
			key, label = 1000+k.bus, fmt.Sprintf("SCSI controller %d", k.bus)
		}
		vc := dev.(types.BaseVirtualController).GetVirtualController()
		vc.Key, vc.BusNumber, vc.ControllerKey = key, k.bus, 100
		pciUnit := int32(3 + i) // units 3-6 on the PCI bus, 7+ are the NICs'
		if i >= 4 {
			pciUnit = int32(20 + i)
		}
		vc.UnitNumber = types.NewInt32(pciUnit)
		vc.DeviceInfo = &types.Description{Label: label, Summary: label}
		controllers[k] = key
		devices = append(devices, dev)
	}
	perDatastore := map[string]int{}
	for i, d := range spec.Disks {
		ds, ok := b.datastores[d.Datastore]
		if !ok {
			return fmt.Errorf("disk %d: unknown datastore %q", i+1, d.Datastore)
		}
		// vSphere's names: <vm>/<vm>.vmdk, then <vm>_1.vmdk, ... per datastore.
		fileName := fmt.Sprintf("[%s] %s/%s.vmdk", d.Datastore, spec.Name, spec.Name)
		if n := perDatastore[d.Datastore]; n > 0 {
			fileName = fmt.Sprintf("[%s] %s/%s_%d.vmdk", d.Datastore, spec.Name, spec.Name, n)
		}
		perDatastore[d.Datastore]++
		if d.Datastore != spec.Datastore { // the VM's own directory is created by CreateVM
			if err := os.MkdirAll(filepath.Join(b.dsRoot, d.Datastore, spec.Name), 0o700); err != nil {
				return err
			}
		}
		sharing := d.Sharing
		if sharing == "" {
			sharing = string(types.VirtualDiskSharingSharingNone)
		}
		backing := &types.VirtualDiskFlatVer2BackingInfo{
			VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
				FileName: fileName, Datastore: &ds.Self},
			DiskMode:        d.Mode,
			ThinProvisioned: types.NewBool(d.Thin),
			EagerlyScrub:    types.NewBool(!d.Thin && sharing == string(types.VirtualDiskSharingSharingMultiWriter)),
			Sharing:         sharing,
			Uuid:            d.UUID,
		}
		label := d.Label
		if label == "" {
			label = fmt.Sprintf("Hard disk %d", i+1)
		}
		capKB := d.SizeGB << 20
		disk := &types.VirtualDisk{
			VirtualDevice: types.VirtualDevice{
				Key:           int32(2000 + i),
				ControllerKey: controllers[ctrlKey{d.Controller, d.Bus}],
				UnitNumber:    types.NewInt32(d.Unit),
				Backing:       backing,
				DeviceInfo:    &types.Description{Label: label, Summary: kb(capKB)},
			},
			CapacityInKB:    capKB,
			CapacityInBytes: capKB << 10,
		}
		devices = append(devices, disk)
	}
	for i, n := range spec.NICs {
		if _, ok := b.networks[n.Network]; !ok {
			return fmt.Errorf("nic %d: unknown network %q", i+1, n.Network)
		}
		card, err := ethernetCard(n.Adapter)
		if err != nil {
			return err
		}
		label := n.Label
		if label == "" {
			label = fmt.Sprintf("Network adapter %d", i+1)
		}
		c := card.GetVirtualEthernetCard()
		c.Key = int32(4000 + i)
		c.ControllerKey = 100
		c.UnitNumber = types.NewInt32(int32(7 + i))
		c.DeviceInfo = &types.Description{Label: label, Summary: n.Network}
		c.Backing = &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: n.Network,
				UseAutoDetect: types.NewBool(false)},
		}
		c.SlotInfo = &types.VirtualDevicePciBusSlotInfo{PciSlotNumber: int32(160 + 32*i)}
		c.AddressType = n.AddressType
		c.MacAddress = n.MAC
		c.WakeOnLanEnabled = types.NewBool(true)
		c.Connectable = &types.VirtualDeviceConnectInfo{StartConnected: n.Connected, AllowGuestControl: true,
			Connected: n.Connected && spec.PowerState == "poweredOn", Status: "ok"}
		devices = append(devices, card.(types.BaseVirtualDevice))
	}
	deviceChange, err := object.VirtualDeviceList(devices).ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd)
	if err != nil {
		return err
	}
	config := types.VirtualMachineConfigSpec{
		Name:              spec.Name,
		GuestId:           spec.GuestID,
		NumCPUs:           spec.NumCPU,
		NumCoresPerSocket: spec.CoresPerSock,
		MemoryMB:          spec.MemoryMB,
		Firmware:          spec.Firmware,
		Version:           spec.HWVersion,
		Uuid:              spec.UUID,
		InstanceUuid:      spec.InstanceUUID,
		Annotation:        spec.Annotation,
		Files:             &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", spec.Datastore)},
		BootOptions: &types.VirtualMachineBootOptions{
			EfiSecureBootEnabled: types.NewBool(spec.SecureBoot),
			EnterBIOSSetup:       types.NewBool(false),
			BootRetryEnabled:     types.NewBool(false),
			BootRetryDelay:       10000,
		},
		Tools:        &types.ToolsConfigInfo{ToolsVersion: spec.ToolsVersion, SyncTimeWithHost: types.NewBool(false)},
		DeviceChange: deviceChange,
	}
	hostObj := object.NewHostSystem(b.c, host.Self)
	task, err := folder.CreateVM(b.ctx, config, b.pools[spec.Host], hostObj)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(b.ctx, nil)
	if err != nil {
		return err
	}
	ref := info.Result.(types.ManagedObjectReference)
	vmObj := object.NewVirtualMachine(b.c, ref)
	switch spec.PowerState {
	case "poweredOn", "suspended":
		t, err := vmObj.PowerOn(b.ctx)
		if err == nil {
			err = t.Wait(b.ctx)
		}
		if err == nil && spec.PowerState == "suspended" {
			if t, err = vmObj.Suspend(b.ctx); err == nil {
				err = t.Wait(b.ctx)
			}
		}
		if err != nil {
			return fmt.Errorf("power on: %v", err)
		}
	case "poweredOff":
	default:
		return fmt.Errorf("unknown power_state %q", spec.PowerState)
	}
	if err := b.patchVM(simulator.Map.Get(ref).(*simulator.VirtualMachine), spec); err != nil {
		return err
	}
	if len(spec.Attributes) > 0 {
		m := object.NewCustomFieldsManager(b.c)
		names := make([]string, 0, len(spec.Attributes))
		for k := range spec.Attributes {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			key, ok := b.customField[name]
			if !ok {
				return fmt.Errorf("unknown custom attribute %q", name)
			}
			if err := m.Set(b.ctx, ref, key, spec.Attributes[name]); err != nil {
				return err
			}
		}
	}
	b.vmsByName[spec.Name] = ref
	b.allVMs = append(b.allVMs, vmRef{ref: ref, spec: spec})
	return nil
}

// patchVM sets what CreateVM/PowerOn in the simulator leave out or get wrong: guest OS names, VMware
// Tools and guest state, IP addresses, controller child lists, network back-references.
func (b *builder) patchVM(vm *simulator.VirtualMachine, spec VM) error {
	vm.Config.GuestFullName = spec.GuestFullName
	vm.Summary.Config.GuestFullName = spec.GuestFullName
	vm.Summary.Config.GuestId = spec.GuestID
	vm.Summary.Config.HwVersion = spec.HWVersion
	vm.Summary.Config.TpmPresent = types.NewBool(false)
	// config.extraConfig carries "govcsim=TRUE"; a real vCenter has no such key.
	var extra []types.BaseOptionValue
	for _, o := range vm.Config.ExtraConfig {
		if o.GetOptionValue().Key != "govcsim" {
			extra = append(extra, o)
		}
	}
	vm.Config.ExtraConfig = extra

	// controller.device lists the keys of the devices attached to it.
	devices := object.VirtualDeviceList(vm.Config.Hardware.Device)
	for _, d := range devices {
		if c, ok := d.(types.BaseVirtualController); ok {
			c.GetVirtualController().Device = nil
		}
	}
	for _, d := range devices {
		vd := d.GetVirtualDevice()
		if vd.ControllerKey == 0 {
			continue
		}
		if c, ok := devices.FindByKey(vd.ControllerKey).(types.BaseVirtualController); ok {
			vc := c.GetVirtualController()
			vc.Device = append(vc.Device, vd.Key)
		}
	}

	for _, n := range spec.NICs {
		netObj := b.networks[n.Network]
		netObj.Vm = appendRef(netObj.Vm, vm.Self)
	}

	g := vm.Guest
	g.GuestId = ""
	g.GuestFullName = ""
	g.HostName = ""
	g.IpAddress = ""
	g.Disk = nil
	g.ToolsVersion = strconv.Itoa(int(spec.ToolsVersion))
	g.ToolsInstallType = "guestToolsTypeOpenVMTools"
	if strings.HasPrefix(spec.GuestID, "win") {
		g.ToolsInstallType = "guestToolsTypeMSI"
	}
	g.GuestFamily = spec.GuestFamily
	g.HwVersion = spec.HWVersion
	g.GuestState = "notRunning"
	g.ToolsVersionStatus = "guestToolsCurrent"
	g.ToolsVersionStatus2 = "guestToolsCurrent"
	heartbeat := types.ManagedEntityStatusGray
	running := spec.PowerState == "poweredOn"
	switch spec.Tools {
	case "not_installed":
		g.ToolsStatus = types.VirtualMachineToolsStatusToolsNotInstalled
		g.ToolsVersion = "0"
		g.ToolsInstallType = ""
		g.ToolsVersionStatus = "guestToolsNotInstalled"
		g.ToolsVersionStatus2 = "guestToolsNotInstalled"
		g.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
	case "not_running":
		g.ToolsStatus = types.VirtualMachineToolsStatusToolsNotRunning
		g.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
	case "running":
		if running {
			g.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
			g.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		} else {
			g.ToolsStatus = types.VirtualMachineToolsStatusToolsNotRunning
			g.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
		}
	default:
		return fmt.Errorf("unknown tools state %q", spec.Tools)
	}
	toolsUp := running && spec.Tools == "running"
	var nets []types.GuestNicInfo
	if toolsUp {
		heartbeat = types.ManagedEntityStatusGreen
		g.GuestState = "running"
		g.GuestId = spec.GuestID
		g.GuestFullName = spec.GuestFullName
		g.HostName = spec.Hostname
		for i, n := range spec.NICs {
			nic := types.GuestNicInfo{Network: n.Network, MacAddress: n.MAC, Connected: n.Connected,
				DeviceConfigId: int32(4000 + i), IpAddress: n.IPs}
			if len(n.IPs) > 0 {
				nic.IpConfig = &types.NetIpConfigInfo{}
				for _, ip := range n.IPs {
					prefix := int32(24)
					if strings.Contains(ip, ":") {
						prefix = 64
					}
					nic.IpConfig.IpAddress = append(nic.IpConfig.IpAddress, types.NetIpConfigInfoIpAddress{
						IpAddress: ip, PrefixLength: prefix, State: "preferred"})
				}
				if g.IpAddress == "" {
					g.IpAddress = n.IPs[0]
				}
			}
			nets = append(nets, nic)
		}
		for _, d := range spec.Disks {
			if d.GuestPath == "" {
				continue
			}
			capacity := d.SizeGB << 30
			g.Disk = append(g.Disk, types.GuestDiskInfo{DiskPath: d.GuestPath, Capacity: capacity,
				FreeSpace: capacity / 2, FilesystemType: guestFS(spec.GuestID)})
		}
	}
	g.Net = nets
	vm.GuestHeartbeatStatus = heartbeat
	vm.Summary.QuickStats.GuestHeartbeatStatus = heartbeat
	vm.Summary.Guest = &types.VirtualMachineGuestSummary{
		GuestId: g.GuestId, GuestFullName: g.GuestFullName, ToolsStatus: g.ToolsStatus,
		ToolsVersionStatus: g.ToolsVersionStatus, ToolsVersionStatus2: g.ToolsVersionStatus2,
		ToolsRunningStatus: g.ToolsRunningStatus, HostName: g.HostName, IpAddress: g.IpAddress,
		HwVersion: spec.HWVersion,
	}
	if running {
		vm.Summary.QuickStats.UptimeSeconds = 86400
	}

	// Storage summary: thin disks are counted as 40% written.
	var committed, uncommitted int64
	for _, d := range spec.Disks {
		size := d.SizeGB << 30
		if d.Thin {
			committed += size * 2 / 5
			uncommitted += size - size*2/5
		} else {
			committed += size
		}
	}
	committed += spec.MemoryMB << 20 // swap file when powered on, vmx/nvram/logs otherwise: close enough
	vm.Summary.Storage = &types.VirtualMachineStorageSummary{Committed: committed, Uncommitted: uncommitted,
		Unshared: committed, Timestamp: time.Now()}
	return nil
}

func guestFS(guestID string) string {
	if strings.HasPrefix(guestID, "win") {
		return "NTFS"
	}
	return "xfs"
}

// datastoreUsage recomputes free space from the VMs' disks (the simulator subtracts each disk's full
// capacity, thin or not, from the real free space of the backing directory).
func (b *builder) datastoreUsage() {
	used := map[string]int64{}
	for _, v := range b.allVMs {
		for _, d := range v.spec.Disks {
			size := d.SizeGB << 30
			if d.Thin {
				size = size * 2 / 5
			}
			used[d.Datastore] += size
		}
	}
	for name, ds := range b.datastores {
		capacity := b.dsCapacity[name]
		free := capacity - used[name]
		if free < 0 {
			free = 0
		}
		ds.Summary.Capacity = capacity
		ds.Summary.FreeSpace = free
		ds.Info.GetDatastoreInfo().FreeSpace = free
		var uncommitted int64
		for _, v := range b.allVMs {
			for _, d := range v.spec.Disks {
				if d.Datastore == name && d.Thin {
					uncommitted += (d.SizeGB << 30) - (d.SizeGB<<30)*2/5
				}
			}
		}
		ds.Summary.Uncommitted = uncommitted
	}
}

// ---------------------------------------------------------------------------------------------
// Tags: vAPI REST, so they are created through the running server.

func (b *builder) applyTags(ctx context.Context, inv *Inventory, u *url.URL, o options) error {
	if len(inv.TagCategories) == 0 {
		return nil
	}
	sc := soap.NewClient(u, false)
	if err := sc.SetRootCAs(o.tlsCert); err != nil {
		return err
	}
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return err
	}
	rc := rest.NewClient(vc)
	if err := rc.Login(ctx, url.UserPassword(o.username, o.password)); err != nil {
		return err
	}
	defer func() { _ = rc.Logout(ctx) }()
	m := tags.NewManager(rc)
	ids := map[string]string{}
	for _, cat := range inv.TagCategories {
		catID, err := m.CreateCategory(ctx, &tags.Category{Name: cat.Name, Description: cat.Description,
			Cardinality: cat.Cardinality, AssociableTypes: cat.AssociableTypes})
		if err != nil {
			return fmt.Errorf("category %q: %v", cat.Name, err)
		}
		for _, t := range cat.Tags {
			id, err := m.CreateTag(ctx, &tags.Tag{Name: t.Name, Description: t.Description, CategoryID: catID})
			if err != nil {
				return fmt.Errorf("tag %q: %v", t.Name, err)
			}
			ids[cat.Name+"/"+t.Name] = id
		}
	}
	for _, v := range b.allVMs {
		for _, t := range v.spec.Tags {
			id, ok := ids[t]
			if !ok {
				return fmt.Errorf("vm %q: unknown tag %q (want Category/tag)", v.spec.Name, t)
			}
			if err := m.AttachTag(ctx, id, v.ref); err != nil {
				return fmt.Errorf("vm %q: tag %q: %v", v.spec.Name, t, err)
			}
		}
	}
	return nil
}
