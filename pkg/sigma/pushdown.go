package sigma

import (
	"maps"
	"net"
	"net/netip"
	"path"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"

	sigmago "github.com/bradleyjkemp/sigma-go"

	"github.com/auditctl/auditctl/pkg/audit"
)

// Pushdown: from a rule's condition, a condition on the cache's columns
// that every event the rule matches also meets (a superset), in the form
// of an OR of filters (terms), each an AND of fields, each an OR of values
// (audit.Filter). The store selects the candidates with its indexes; the
// rule itself (sigma-go) then decides on each candidate.
//
// A field condition pushes down when the field is a column holding exactly
// the field's value (fields.go: eventName is action, eventSource service…)
// and the comparison has a LIKE form that is implied by it:
//
//	equality       value            contains  *value*
//	startswith     value*           endswith  *value
//	re             the literal parts of the expression, * between
//	cidr (ip)      the prefix
//
// Sigma's ? and escaped \* become * (wider, never narrower). Values with
// characters beyond ASCII do not push down: SQLite folds the case of ASCII
// letters only, Sigma of every letter. Anything else (null, exists,
// fieldref, gt…, a field of the document with no column, a NOT) is "any
// event", so it narrows nothing. An AND keeps, per column, the first
// condition; when the terms multiply past maxTerms, the smaller side of an
// AND is kept (still a superset).

// conj is one term: per column, values of which one must match.
type conj map[audit.Field][]string

// dnf is an OR of terms; a term with no column is "any event".
type dnf []conj

var anyEvent = dnf{conj{}}

const maxTerms = 16

func (d dnf) isAny() bool {
	for _, t := range d {
		if len(t) == 0 {
			return true
		}
	}
	return false
}

func or(a, b dnf) dnf {
	if a.isAny() || b.isAny() {
		return anyEvent
	}
	out := append(slices.Clone(a), b...)
	if len(out) > maxTerms {
		return anyEvent
	}
	return out
}

func and(a, b dnf) dnf {
	switch {
	case a.isAny():
		return b
	case b.isAny():
		return a
	case len(a) == 0 || len(b) == 0:
		return dnf{} // nothing can match
	case len(a)*len(b) > maxTerms:
		if len(a) <= len(b) {
			return a
		}
		return b
	}
	var out dnf
	for _, x := range a {
		for _, y := range b {
			t := maps.Clone(x)
			for f, vs := range y {
				if _, ok := t[f]; !ok {
					t[f] = vs
				}
			}
			out = append(out, t)
		}
	}
	return out
}

// pushdown computes a rule's terms: nil when any event may match.
func pushdown(s Schema, conds []sigmago.Condition, searches map[string][][]matcher, names []string) []conj {
	d := dnf{}
	for _, c := range conds {
		d = or(d, exprDNF(s, c.Search, searches, names))
	}
	if d.isAny() {
		return nil
	}
	// A column that an index orders (action, service…) narrows best
	// alone: keep the most selective indexed column of each term and the
	// unindexed ones (cheap checks on the rows read), so that SQLite
	// reads one index.
	out := make([]conj, 0, len(d))
	seen := map[string]bool{}
	for _, t := range d {
		t = narrow(t)
		k := t.key()
		if !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		// no event can match: one impossible term
		return []conj{{audit.FieldSource: {"\x00"}}}
	}
	return out
}

// indexed are the columns with an index, most selective first.
var indexed = []audit.Field{audit.FieldID, audit.FieldAction, audit.FieldWorkflow, audit.FieldActor, audit.FieldService, audit.FieldStatus}

func narrow(t conj) conj {
	keep := audit.Field("")
	for _, f := range indexed {
		if _, ok := t[f]; ok {
			keep = f
			break
		}
	}
	out := conj{}
	for f, vs := range t {
		if f == keep || !slices.Contains(indexed, f) && (f != textField || keep == "") {
			out[f] = vs
		}
	}
	return out
}

func (t conj) key() string {
	var parts []string
	for f, vs := range t {
		parts = append(parts, string(f)+"="+strings.Join(vs, "\x00"))
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01")
}

func (t conj) filter() audit.Filter {
	var f audit.Filter
	for fl, vs := range t {
		if fl == textField {
			f.Text = append(f.Text, vs[0]) // one phrase: the first
			continue
		}
		f.Add(fl, vs...)
	}
	return f
}

// withoutText is t without its full-text phrase (false when nothing is
// left: the term then narrows nothing).
func (t conj) withoutText() (conj, bool) {
	if _, ok := t[textField]; !ok {
		return t, true
	}
	out := maps.Clone(t)
	delete(out, textField)
	return out, len(out) > 0
}

func exprDNF(s Schema, e sigmago.SearchExpr, searches map[string][][]matcher, names []string) dnf {
	switch e := e.(type) {
	case sigmago.And:
		d := anyEvent
		for _, x := range e {
			d = and(d, exprDNF(s, x, searches, names))
		}
		return d
	case sigmago.Or:
		d := dnf{}
		for _, x := range e {
			d = or(d, exprDNF(s, x, searches, names))
		}
		return d
	case sigmago.SearchIdentifier:
		return searchDNF(s, searches[e.Name])
	case sigmago.OneOfThem, sigmago.OneOfPattern, sigmago.AllOfThem, sigmago.AllOfPattern:
		pattern, all := "*", false
		switch e := e.(type) {
		case sigmago.OneOfPattern:
			pattern = e.Pattern
		case sigmago.AllOfPattern:
			pattern, all = e.Pattern, true
		case sigmago.AllOfThem:
			all = true
		}
		d := dnf{}
		if all {
			d = anyEvent
		}
		for _, n := range names {
			if ok, _ := path.Match(pattern, n); !ok {
				continue
			}
			if all {
				d = and(d, searchDNF(s, searches[n]))
			} else {
				d = or(d, searchDNF(s, searches[n]))
			}
		}
		return d
	}
	return anyEvent // not, and anything else: no narrowing
}

// searchDNF: a search is an OR of maps, each an AND of field matchers.
func searchDNF(s Schema, ems [][]matcher) dnf {
	d := dnf{}
	for _, row := range ems {
		t := anyEvent
		for _, m := range row {
			t = and(t, matcherDNF(s, m))
		}
		d = or(d, t)
	}
	if len(ems) == 0 {
		return anyEvent
	}
	return d
}

func matcherDNF(s Schema, m matcher) dnf {
	if m.ref || m.exists || m.base64 || m.field == keywordsField {
		return anyEvent
	}
	prefix := false
	col, ok := pushColumn(s, m.field)
	if !ok {
		if s != SchemaCloudTrail || strings.ToLower(m.field) != errorPrefix {
			if p := textTerm(s, m); p != "" {
				return dnf{conj{textField: {p}}}
			}
			return anyEvent
		}
		col, prefix = audit.FieldError, true
	}
	values := m.values
	if m.windash {
		values = windash(values)
	}
	if m.all && len(values) > 1 {
		values = values[:1] // each must match: any one is a superset
	}
	var pats []string
	for _, v := range values {
		if s, isStr := v.(string); isStr && m.comparator == "re" {
			v = withFlags(s, m.reFlags) // (?m): ^ and $ are no anchors of the whole value
		}
		ps, ok := likePatterns(col, m.comparator, v)
		if !ok {
			return anyEvent
		}
		for _, p := range ps {
			pats = append(pats, p)
			if prefix && !strings.HasSuffix(p, "*") {
				pats = append(pats, p+": *") // "code: message"
			}
		}
	}
	if len(pats) == 0 {
		return anyEvent
	}
	return dnf{conj{col: pats}}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 || s[i] == 0 {
			return false
		}
	}
	return true
}

// likePatterns turns one Sigma value under a comparison into filter values
// (audit.Filter: * is a wildcard) that every matching column value meets.
func likePatterns(col audit.Field, comparator string, v any) ([]string, bool) {
	s, ok := v.(string)
	if !ok || !isASCII(s) {
		return nil, false
	}
	var p string
	switch comparator {
	case "", "contains", "startswith", "endswith":
		p = globPattern(s)
		switch comparator {
		case "contains":
			p = "*" + p + "*"
		case "startswith":
			p = p + "*"
		case "endswith":
			p = "*" + p
		}
	case "re":
		return regexPatterns(s)
	case "cidr":
		if col != audit.FieldIP {
			return nil, false
		}
		pfx, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return nil, false
		}
		return []string{pfx.Masked().String()}, true
	default:
		return nil, false
	}
	p = collapseStars(p)
	if p == "*" {
		return nil, false // narrows nothing (and "" or absent may differ)
	}
	if col == audit.FieldIP && !strings.Contains(p, "*") {
		// the filter reads an ip value as an address (or a prefix)
		if _, err := netip.ParseAddr(p); err != nil {
			return nil, false
		}
	}
	return []string{p}, true
}

// globPattern writes a Sigma value as a filter pattern: * stays, ? and
// an escaped \* become * (wider), \? and \\ their character.
func globPattern(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '?':
			b.WriteByte('*')
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '?' || s[i+1] == '\\') {
				i++
				if s[i] == '*' {
					b.WriteByte('*')
				} else {
					b.WriteByte(s[i])
				}
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func collapseStars(p string) string {
	for strings.Contains(p, "**") {
		p = strings.ReplaceAll(p, "**", "*")
	}
	return p
}

// regexPatterns: a regular expression as filter patterns, one per
// top-level alternative: its literal parts in order, * for the rest (and
// at an end that is not anchored).
func regexPatterns(expr string) ([]string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return nil, false
	}
	re = re.Simplify()
	alts := []*syntax.Regexp{re}
	if re.Op == syntax.OpAlternate {
		alts = re.Sub
	}
	if len(alts) > 8 {
		return nil, false
	}
	var out []string
	for _, a := range alts {
		subs := []*syntax.Regexp{a}
		if a.Op == syntax.OpConcat {
			subs = a.Sub
		}
		var b strings.Builder
		if len(subs) == 0 || subs[0].Op != syntax.OpBeginText {
			b.WriteByte('*')
		}
		lastAnchored := false
		for i, sub := range subs {
			switch sub.Op {
			case syntax.OpBeginText:
				if i != 0 {
					b.WriteByte('*')
				}
			case syntax.OpEndText:
				if i == len(subs)-1 {
					lastAnchored = true
				} else {
					b.WriteByte('*')
				}
			case syntax.OpLiteral:
				lit := string(sub.Rune)
				if !isASCII(lit) {
					return nil, false
				}
				b.WriteString(lit)
			case syntax.OpEmptyMatch:
			default:
				b.WriteByte('*')
			}
		}
		if !lastAnchored {
			b.WriteByte('*')
		}
		p := collapseStars(b.String())
		if p == "*" {
			return nil, false
		}
		out = append(out, p)
	}
	return out, true
}

func validCIDR(s string) bool {
	_, _, err := net.ParseCIDR(strings.TrimSpace(s))
	return err == nil
}

// Full-text pushdown. A field with no column can still narrow through the
// cache's full-text index, which holds the words (runs of letters and
// digits) of every string and number in the stored record: a rule value
// whose words must stand, in order, in the field's value is a phrase the
// event must hold (audit.Filter.Text). Only fields the importer guarantees
// to be a string or a number are used (an object's JSON text holds keys,
// which the index leaves out), only ASCII values, only words that are
// whole in every match (a word cut by the edge of a contains value is
// dropped), and never true, false or null (JSON literals, not indexed).
// Used when a term has no indexed column, and on the cache only
// (Options.Remote drops it).

// textField is the pseudo-column of a full-text term.
const textField audit.Field = "\x00text"

// stringFields are the record fields the importers require to be scalars.
var stringFields = map[Schema][]string{
	SchemaCloudTrail: {"eventname", "eventsource", "sourceipaddress", "errorcode", "errormessage", "recipientaccountid",
		"awsregion", "sharedeventid", "eventid", "eventcategory", "useragent", "useridentity.type",
		"useridentity.principalid", "useridentity.arn", "useridentity.username", "useridentity.invokedby"},
	SchemaJumpCloud: {"event_type", "service", "organization", "client_ip", "error_message", "id",
		"initiated_by.id", "initiated_by.type", "initiated_by.username", "initiated_by.email", "initiated_by.name",
		"resource.id", "resource.type", "resource.name", "resource.username", "resource.email", "resource.displayname", "resource.hostname"},
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// phraseOf returns the words of lit that are whole in any text holding lit
// (startWhole: lit starts where the value starts; endWhole likewise), as a
// phrase, or "" when none.
func phraseOf(lit string, startWhole, endWhole bool) string {
	if !isASCII(lit) {
		return ""
	}
	var words []string
	for i := 0; i < len(lit); {
		if !isWordByte(lit[i]) {
			i++
			continue
		}
		j := i
		for j < len(lit) && isWordByte(lit[j]) {
			j++
		}
		if (i > 0 || startWhole) && (j < len(lit) || endWhole) {
			w := strings.ToLower(lit[i:j])
			if w == "true" || w == "false" || w == "null" {
				return ""
			}
			words = append(words, w)
		} else if len(words) > 0 {
			break // a cut word in the middle cannot happen; be safe
		}
		i = j
	}
	return strings.Join(words, " ")
}

// textTerm is the full-text phrase implied by a matcher, or "".
func textTerm(s Schema, m matcher) string {
	if m.ref || m.exists || m.base64 || m.windash || m.all && len(m.values) > 1 || len(m.values) != 1 {
		return ""
	}
	if !slices.Contains(stringFields[s], strings.ToLower(m.field)) {
		return ""
	}
	v, ok := m.values[0].(string)
	if !ok {
		return ""
	}
	best := ""
	consider := func(p string) {
		if strings.Count(p, " ") > strings.Count(best, " ") || best == "" {
			best = p
		}
	}
	switch m.comparator {
	case "", "contains", "startswith", "endswith":
		// literal chunks between wildcards
		chunks := splitGlob(v)
		for i, c := range chunks {
			start := i == 0 && (m.comparator == "" || m.comparator == "startswith")
			end := i == len(chunks)-1 && (m.comparator == "" || m.comparator == "endswith")
			if p := phraseOf(c, start, end); p != "" {
				consider(p)
			}
		}
	case "re":
		re, err := syntax.Parse(withFlags(v, m.reFlags), syntax.Perl)
		if err != nil {
			return ""
		}
		re = re.Simplify()
		subs := []*syntax.Regexp{re}
		if re.Op == syntax.OpConcat {
			subs = re.Sub
		}
		for i, sub := range subs {
			if sub.Op != syntax.OpLiteral {
				continue
			}
			start := i > 0 && subs[i-1].Op == syntax.OpBeginText
			end := i+1 < len(subs) && subs[i+1].Op == syntax.OpEndText
			if p := phraseOf(string(sub.Rune), start, end); p != "" {
				consider(p)
			}
		}
	}
	return best
}

// splitGlob cuts a Sigma value at its wildcards into literal chunks (a
// chunk next to a wildcard is "cut" there); escapes are resolved.
func splitGlob(v string) []string {
	var chunks []string
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '*', '?':
			chunks = append(chunks, b.String())
			b.Reset()
		case '\\':
			if i+1 < len(v) && (v[i+1] == '*' || v[i+1] == '?' || v[i+1] == '\\') {
				i++
			}
			b.WriteByte(v[i])
		default:
			b.WriteByte(c)
		}
	}
	return append(chunks, b.String())
}
