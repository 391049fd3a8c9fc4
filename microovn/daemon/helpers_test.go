package daemon

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/microovn/microovn/microovn/api/types"
	"github.com/microovn/microovn/microovn/database"
	"github.com/microovn/microovn/microovn/services"
)

func TestHostOfAddresses(t *testing.T) {
	cases := []struct {
		address string
		want    string
	}{
		{"198.18.0.1:6686", "198.18.0.1"},
		{"[fd00::1]:6686", "fd00::1"},
		{"198.18.0.1", "198.18.0.1"},
		{"fd00::1", "fd00::1"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := hostOf(tc.address); got != tc.want {
			t.Errorf("hostOf(%q) = %q, want %q", tc.address, got, tc.want)
		}
	}
}

func TestSplitListTrimsAndDropsEmpty(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"198.18.0.1", []string{"198.18.0.1"}},
		{" 198.18.0.1 ,fd00::2,, 198.18.0.3 ", []string{"198.18.0.1", "fd00::2", "198.18.0.3"}},
	}
	for _, tc := range cases {
		if got := splitList(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitList(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCentralAddressesMembersOrConfig(t *testing.T) {
	members := []database.Member{
		{Name: "node1", Address: "198.18.0.1:6686",
			Services: []string{services.Switch, services.Central, services.Chassis}},
		{Name: "node2", Address: "198.18.0.2:6686",
			Services: []string{services.Switch, services.Chassis}},
		{Name: "node3", Address: "[fd00::3]:6686", Services: []string{services.Central}},
	}
	cases := []struct {
		name       string
		centralIPs string
		want       []string
	}{
		{"central members", "", []string{"198.18.0.1", "fd00::3"}},
		{"external centrals", "203.0.113.1, 203.0.113.2", []string{"203.0.113.1", "203.0.113.2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := centralAddresses(members, tc.centralIPs)
			if !slices.Equal(got, tc.want) {
				t.Errorf("centralAddresses(..., %q) = %q, want %q", tc.centralIPs, got, tc.want)
			}
		})
	}

	if got := centralAddresses(members[1:2], ""); got != nil {
		t.Errorf("centralAddresses without a central member = %q, want none", got)
	}
}

func TestServerIsCentralAddresses(t *testing.T) {
	centrals := []string{"198.18.0.1", "fd00::3"}
	cases := []struct {
		address string
		want    bool
	}{
		{"ssl:198.18.0.1:6643", true},
		{"ssl:[fd00::3]:6644", true},
		{"ssl:198.18.0.2:6643", false},
		{"ssl:[fd00::4]:6643", false},
		{"ssl:198.18.0.10:6643", false},
		{"tcp:198.18.0.1:6643", false},
	}
	for _, tc := range cases {
		if got := serverIsCentral(tc.address, centrals); got != tc.want {
			t.Errorf("serverIsCentral(%q, %q) = %v, want %v", tc.address, centrals, got, tc.want)
		}
	}
}

func TestMemberOfRaftAddresses(t *testing.T) {
	members := []types.MemberStatus{
		{Name: "node1", Address: "198.18.0.1"},
		{Name: "node3", Address: "fd00::3"},
	}
	cases := []struct {
		address string
		want    string
	}{
		{"ssl:198.18.0.1:6643", "node1"},
		{"ssl:[fd00::3]:6644", "node3"},
		{"ssl:198.18.0.9:6643", ""},
		{"", ""},
	}
	for _, tc := range cases {
		if got := memberOfRaft(members, tc.address); got != tc.want {
			t.Errorf("memberOfRaft(%q) = %q, want %q", tc.address, got, tc.want)
		}
	}
}

// statusMembers returns three central members, node3 on IPv6 and offline.
func statusMembers() []types.MemberStatus {
	central := []string{services.Switch, services.Central, services.Chassis}
	return []types.MemberStatus{
		{Name: "node1", Address: "198.18.0.1", Status: "ONLINE", Services: central},
		{Name: "node2", Address: "198.18.0.2", Status: "ONLINE", Services: central},
		{Name: "node3", Address: "fd00::3", Status: "OFFLINE", Services: central},
	}
}

// raftServers returns the Raft servers of the three members as a member lists them.
func raftServers(port string) []types.RaftMember {
	return []types.RaftMember{
		{Address: "ssl:198.18.0.1:" + port},
		{Address: "ssl:198.18.0.2:" + port},
		{Address: "ssl:[fd00::3]:" + port},
	}
}

func TestMergeDatabasesOneMemberMissing(t *testing.T) {
	members := statusMembers()
	locals := map[string]types.LocalStatus{
		"node1": {Member: "node1", Databases: []types.LocalDatabase{
			{Name: "OVN_Northbound", Running: true, Role: "leader",
				Leader: "ssl:198.18.0.1:6643", Schema: "7.0.0", Servers: raftServers("6643")},
			{Name: "OVN_Southbound", Running: true, Role: "follower",
				Leader: "ssl:[fd00::3]:6644", Schema: "20.27.0", Servers: raftServers("6644")},
		}},
		"node2": {Member: "node2", Databases: []types.LocalDatabase{
			{Name: "OVN_Northbound", Running: true, Role: "follower",
				Leader: "ssl:198.18.0.1:6643", Schema: "7.0.0", Servers: raftServers("6643")},
			{Name: "OVN_Southbound", Running: true, Role: "follower",
				Leader: "ssl:[fd00::3]:6644", Schema: "20.27.0", Servers: raftServers("6644")},
		}},
	}

	got := mergeDatabases(members, locals)
	want := []types.DatabaseStatus{
		{Name: "OVN_Northbound", Reachable: true, Leader: "node1", Schema: "7.0.0",
			Servers: []types.RaftMember{
				{Member: "node1", Address: "ssl:198.18.0.1:6643", Role: "leader"},
				{Member: "node2", Address: "ssl:198.18.0.2:6643", Role: "follower"},
				{Member: "node3", Address: "ssl:[fd00::3]:6643", Role: "unreachable"},
			}},
		{Name: "OVN_Southbound", Reachable: true, Leader: "node3", Schema: "20.27.0",
			Servers: []types.RaftMember{
				{Member: "node1", Address: "ssl:198.18.0.1:6644", Role: "follower"},
				{Member: "node2", Address: "ssl:198.18.0.2:6644", Role: "follower"},
				{Member: "node3", Address: "ssl:[fd00::3]:6644", Role: "unreachable"},
			}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("mergeDatabases:\n got %+v\nwant %+v", got, want)
	}
}

func TestMergeDatabasesNoAnswer(t *testing.T) {
	members := statusMembers()
	locals := map[string]types.LocalStatus{
		// A member whose server is down reports an error and no role.
		"node1": {Member: "node1", Databases: []types.LocalDatabase{
			{Name: "OVN_Northbound", Error: "ovnnb_db is not running"},
			{Name: "OVN_Southbound", Error: "ovnsb_db is not running"},
		}},
	}

	for _, db := range mergeDatabases(members, locals) {
		if db.Reachable {
			t.Errorf("%s Reachable = true, want false", db.Name)
		}

		if db.Error != "no central member responded" {
			t.Errorf("%s Error = %q, want %q", db.Name, db.Error, "no central member responded")
		}

		if len(db.Servers) != 0 {
			t.Errorf("%s Servers = %+v, want none", db.Name, db.Servers)
		}
	}

	if got := mergeDatabases(members, nil); len(got) != 2 {
		t.Errorf("mergeDatabases without locals returned %d databases, want 2", len(got))
	}
}

func TestNorthdOfUnreachableMember(t *testing.T) {
	locals := map[string]types.LocalStatus{"node1": {Member: "node1", Northd: "active"}}

	if got := northdOf("node1", locals); got != "active" {
		t.Errorf("northdOf(node1) = %q, want active", got)
	}

	if got := northdOf("node2", locals); got != "unreachable" {
		t.Errorf("northdOf(node2) = %q, want unreachable", got)
	}
}

func TestCheckLocalAddressCases(t *testing.T) {
	if err := checkLocalAddress("127.0.0.1"); err != nil {
		t.Errorf("checkLocalAddress(127.0.0.1) = %v, want nil", err)
	}

	// 198.18.0.0/15 is reserved for benchmarking (RFC 2544), so test hosts are not expected to
	// hold this address.
	err := checkLocalAddress("198.18.250.250")
	if !errors.Is(err, ErrNotLocal) {
		t.Errorf("checkLocalAddress(198.18.250.250) = %v, want ErrNotLocal", err)
	}

	if err != nil && !strings.Contains(err.Error(), "198.18.250.250") {
		t.Errorf("error %q does not name the address", err)
	}

	err = checkLocalAddress("host.example")
	if err == nil {
		t.Fatalf("checkLocalAddress(host.example) succeeded, want an error")
	}

	if errors.Is(err, ErrNotLocal) {
		t.Errorf("checkLocalAddress(host.example) = %v, want a not-an-IP error, not ErrNotLocal", err)
	}

	if !strings.Contains(err.Error(), "not an IP address") {
		t.Errorf("error %q does not say the value is not an IP address", err)
	}
}
