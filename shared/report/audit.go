package report

// KindAudit is the kind of an audit report; a rotation report has no kind field or
// "rotation".
const KindAudit = "audit"

// Status of an audit run.
const (
	AuditOK        = "ok"
	AuditAttention = "attention"
)

// Status of one audited place.
const (
	PlaceOK       = "ok"
	PlaceExpiring = "expiring"
	PlaceExpired  = "expired"
	PlaceStale    = "stale"
	PlaceMissing  = "missing"
	PlaceFailed   = "failed"
)

// Audit is what an audit found (README, Audit): every place of every target and what it serves.
// It never holds key material.
type Audit struct {
	Kind       string  `json:"kind"`
	ID         string  `json:"id"`
	Status     string  `json:"status"`
	Days       int     `json:"days"`
	Places     []Place `json:"places"`
	StartedAt  string  `json:"started_at"`
	FinishedAt string  `json:"finished_at"`
}

// Place is one place a certificate is served and what the audit found there.
type Place struct {
	Name          string   `json:"name"`
	Provider      string   `json:"provider"`
	Region        string   `json:"region,omitempty"`
	LoadBalancer  string   `json:"load_balancer,omitempty"` // the load balancer (or ELB listener) it belongs to, for grouping
	CertificateID string   `json:"certificate_id,omitempty"`
	CommonName    string   `json:"common_name,omitempty"`
	DNSNames      []string `json:"dns_names,omitempty"`
	NotAfter      string   `json:"not_after,omitempty"`
	DaysLeft      *int     `json:"days_left,omitempty"` // whole days until not_after, negative once expired; absent when unknown
	Status        string   `json:"status"`
	Reason        string   `json:"reason,omitempty"`
}

// Attention reports whether the place needs a person: any status but ok.
func (p Place) Attention() bool { return p.Status != PlaceOK }

// ExitCode is the command line's exit code for an audit: 0 ok, 1 attention.
func (a *Audit) ExitCode() int {
	if a.Status == AuditOK {
		return 0
	}
	return 1
}
