package audit

import (
	"unicode"
	"unicode/utf8"
)

// AllTenants is the tenant name that, mapped to a role of a PostgreSQL
// store with row-level security, lets that role see every tenant. No event
// may carry it.
const AllTenants = "*"

// MaxTenant is the longest tenant name (bytes).
const MaxTenant = 200

// CheckTenant says what is wrong with a tenant name given to import
// --tenant, the config file's import.tenant or db tenant: it must be
// printable UTF-8 text of at most MaxTenant bytes, without leading or
// trailing space, and not AllTenants (which only db tenant takes, as the
// mapping to every tenant).
func CheckTenant(name string) error {
	switch {
	case name == "":
		return Errorf(EUSAGE, "a tenant name is empty")
	case name == AllTenants:
		return Errorf(EUSAGE, "%q is not a tenant name: it stands for every tenant (db tenant grant ROLE '*')", AllTenants)
	case len(name) > MaxTenant:
		return Errorf(EUSAGE, "a tenant name is longer than %d bytes", MaxTenant)
	case !utf8.ValidString(name):
		return Errorf(EUSAGE, "a tenant name is not valid UTF-8")
	}
	for i, r := range name {
		if !unicode.IsPrint(r) && r != ' ' || (r == ' ' && (i == 0 || i == len(name)-1)) {
			return Errorf(EUSAGE, "a tenant name must be printable text without leading or trailing space")
		}
	}
	return nil
}

// WithTenant is r with every event's tenant set to tenant (import
// --tenant): the events of a managed service provider's client carry the
// client's name whatever their source calls its organization (the
// source's value stays in the event's raw document).
func WithTenant(r EventReader, tenant string) EventReader {
	return tenantReader{r, tenant}
}

type tenantReader struct {
	r      EventReader
	tenant string
}

func (t tenantReader) Next() (*Event, error) {
	e, err := t.r.Next()
	if e != nil {
		e.Tenant = t.tenant
	}
	return e, err
}
