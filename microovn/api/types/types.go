// Package types defines the JSON bodies of MicroOVN's REST API, shared by the
// daemon and its clients.
package types

// PathPrefix is the prefix of every MicroOVN endpoint.
const PathPrefix = "1.0"

// Status is the health of the whole deployment as seen from one member.
type Status struct {
	Members   []MemberStatus   `json:"members" yaml:"members"`
	Databases []DatabaseStatus `json:"databases" yaml:"databases"`
	Northd    []NorthdStatus   `json:"northd" yaml:"northd"`
	Chassis   ChassisStatus    `json:"chassis" yaml:"chassis"`
	Warnings  []string         `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// MemberStatus is one cluster member.
type MemberStatus struct {
	Name     string   `json:"name" yaml:"name"`
	Address  string   `json:"address" yaml:"address"`
	Role     string   `json:"role" yaml:"role"`
	Status   string   `json:"status" yaml:"status"` // ONLINE or OFFLINE
	Services []string `json:"services" yaml:"services"`
}

// DatabaseStatus is the Raft state of the Northbound or Southbound database.
type DatabaseStatus struct {
	Name      string       `json:"name" yaml:"name"` // OVN_Northbound, OVN_Southbound
	Reachable bool         `json:"reachable" yaml:"reachable"`
	Leader    string       `json:"leader" yaml:"leader"` // member name, or "" when unknown
	Schema    string       `json:"schema" yaml:"schema"` // schema version
	Servers   []RaftMember `json:"servers" yaml:"servers"`
	Error     string       `json:"error,omitempty" yaml:"error,omitempty"`
}

// RaftMember is one Raft server of a clustered database.
type RaftMember struct {
	Member  string `json:"member" yaml:"member"` // member name, or "" for a server no member owns
	Address string `json:"address" yaml:"address"`
	Role    string `json:"role" yaml:"role"` // leader, follower, or unknown when unreachable
}

// NorthdStatus is the state of one member's ovn-northd.
type NorthdStatus struct {
	Member string `json:"member" yaml:"member"`
	State  string `json:"state" yaml:"state"` // active, standby, paused, or down
}

// ChassisStatus lists the chassis registered in the Southbound and the members
// running the chassis service whose chassis is missing there.
type ChassisStatus struct {
	Registered []Chassis `json:"registered" yaml:"registered"`
	Missing    []string  `json:"missing" yaml:"missing"`
	Error      string    `json:"error,omitempty" yaml:"error,omitempty"`
}

// Chassis is one chassis of the Southbound.
type Chassis struct {
	Name    string `json:"name" yaml:"name"`
	EncapIP string `json:"encap_ip" yaml:"encap_ip"`
}

// CertificateReport is the state of one certificate file on this member.
type CertificateReport struct {
	Name       string `json:"name" yaml:"name"` // ca, ovnnb, ovnsb, ovn-northd, ovn-controller, client
	Title      string `json:"title" yaml:"title"`
	Path       string `json:"path" yaml:"path"`
	KeyPath    string `json:"key_path,omitempty" yaml:"key_path,omitempty"`
	Present    bool   `json:"present" yaml:"present"`
	KeyPresent bool   `json:"key_present" yaml:"key_present"`
	NotAfter   string `json:"not_after,omitempty" yaml:"not_after,omitempty"` // RFC 3339
	Serial     string `json:"serial,omitempty" yaml:"serial,omitempty"`
	SignedByCA bool   `json:"signed_by_ca" yaml:"signed_by_ca"`
	KeyMatches bool   `json:"key_matches" yaml:"key_matches"`
	Status     string `json:"status" yaml:"status"`
	Problem    string `json:"problem,omitempty" yaml:"problem,omitempty"`
}

// LocalStatus is one member's report on its own central processes and certificates.
type LocalStatus struct {
	Member    string          `json:"member"`
	Databases []LocalDatabase `json:"databases"`
	Northd    string          `json:"northd"`             // active, standby, paused, down, or "" when not central
	Warnings  []string        `json:"warnings,omitempty"` // certificates expiring, expired or untrusted
}

// LocalDatabase is one member's view of a clustered database.
type LocalDatabase struct {
	Name    string       `json:"name"`
	Running bool         `json:"running"`
	Role    string       `json:"role"`
	Leader  string       `json:"leader"` // Raft address of the leader, "" when unknown
	Schema  string       `json:"schema"`
	Servers []RaftMember `json:"servers"`
	Error   string       `json:"error,omitempty"`
}

// ReissueResult lists the certificates a member issued anew and those it could not.
type ReissueResult struct {
	Member string            `json:"member" yaml:"member"`
	Issued []string          `json:"issued" yaml:"issued"`
	Failed map[string]string `json:"failed,omitempty" yaml:"failed,omitempty"`
}

// CAResult is the outcome of replacing the cluster's CA: whether the new CA was
// stored, then what each member reissued.
type CAResult struct {
	NewCA   bool            `json:"new_ca" yaml:"new_ca"`
	Members []ReissueResult `json:"members" yaml:"members"`
}

// SetCARequest carries an operator's CA certificate and private key in PEM.
type SetCARequest struct {
	Certificate string `json:"certificate" yaml:"certificate"`
	PrivateKey  string `json:"private_key" yaml:"private_key"`
}

// ServiceRequest changes a service on one member.
type ServiceRequest struct {
	AllowDisableLastCentral bool `json:"allow_disable_last_central" yaml:"allow_disable_last_central"`
}

// ServiceResult reports a service change.
type ServiceResult struct {
	Message  string   `json:"message" yaml:"message"`
	Changed  bool     `json:"changed" yaml:"changed"`
	Warnings []string `json:"warnings,omitempty" yaml:"warnings,omitempty"`
}

// ConfigEntry is one cluster-wide setting.
type ConfigEntry struct {
	Key   string `json:"key" yaml:"key"`
	Value string `json:"value" yaml:"value"`
}
