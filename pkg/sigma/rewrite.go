package sigma

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/bradleyjkemp/sigma-go/evaluator/modifiers"
	yamlv3 "gopkg.in/yaml.v3"
)

// What sigma-go v0.6.6 does not do, and what this file does about it
// (docs/sigma.md, "What auditctl adds to sigma-go"):
//
//   - null values ("errorCode: null": the field is absent or null): sigma-go
//     rejects them on every event; they become a match of the absent value.
//   - wildcards (* and ?, with \ escapes): sigma-go compares them as text;
//     a value with a wildcard or an escape becomes a regular expression.
//   - fieldref (compare with another field of the same event), windash,
//     exists, cased, re|i|m|s: unknown to sigma-go; rewritten here.
//   - keyword searches (a list of plain values): sigma-go rejects them;
//     they become "contains" over the stored document.
//   - "1 of selection", "all of selection" (one identifier): sigma-go
//     panics on them; they are the identifier itself.
//   - an absent field: sigma-go compares the text "<nil>"; here it is the
//     absent value, which no comparison but null and exists: false matches.
//   - the re comparison compiles its expression at every event in sigma-go;
//     here once (compiled expressions are cached).

// refMarker starts the placeholder a fieldref value becomes: sigma-go
// expands values written %name% through the rule's placeholder expander,
// which finds the referenced field in the event being matched.
const refMarker = "\x00ref\x00"

func init() {
	// The re comparator, with its expressions compiled once. The map is
	// sigma-go's own table of comparators (ForRule uses it).
	modifiers.Comparators["re"] = reCached{}
	modifiers.ComparatorsCaseSensitive["re"] = reCached{}
}

var reCache sync.Map // string -> *regexp.Regexp or error

func compileCached(expr string) (*regexp.Regexp, error) {
	if v, ok := reCache.Load(expr); ok {
		if re, ok := v.(*regexp.Regexp); ok {
			return re, nil
		}
		return nil, v.(error)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		reCache.Store(expr, err)
		return nil, err
	}
	reCache.Store(expr, re)
	return re, nil
}

type reCached struct{}

func (reCached) Matches(actual, expected any) (bool, error) {
	re, err := compileCached(modifiers.CoerceString(expected))
	if err != nil {
		return false, err
	}
	return re.MatchString(modifiers.CoerceString(actual)), nil
}

// comparators are the comparison modifiers (at most one per field).
var comparators = map[string]bool{"contains": true, "startswith": true, "endswith": true, "re": true,
	"cidr": true, "gt": true, "gte": true, "lt": true, "lte": true}

// Supported lists the modifiers auditctl evaluates, for errors and docs.
const Supported = "contains, startswith, endswith, all, re (with i, m, s), cidr, gt, gte, lt, lte, base64, windash, fieldref, exists, cased"

// matcher is a field matcher as written, understood.
type matcher struct {
	field      string
	comparator string // "" for equality
	all, ref   bool
	windash    bool
	cased      bool
	exists     bool
	base64     bool
	reFlags    string
	values     []any // strings, or nil for null
}

func posOf(fm sigmago.FieldMatcher, fallback *yamlv3.Node) (line, col int) {
	defer func() {
		if recover() != nil && fallback != nil {
			line, col = fallback.Line, fallback.Column
		}
	}()
	l, c := fm.Position()
	return l + 1, c + 1
}

// parseMatcher reads a field matcher's modifiers and values.
func parseMatcher(fm sigmago.FieldMatcher) (matcher, error) {
	m := matcher{field: fm.Field}
	for _, mod := range fm.Modifiers {
		switch mod = strings.ToLower(mod); {
		case comparators[mod]:
			if m.comparator != "" {
				return m, fmt.Errorf("two comparisons (%s and %s)", m.comparator, mod)
			}
			m.comparator = mod
		case mod == "all":
			m.all = true
		case mod == "fieldref":
			m.ref = true
		case mod == "windash":
			m.windash = true
		case mod == "cased":
			m.cased = true
		case mod == "exists":
			m.exists = true
		case mod == "base64":
			m.base64 = true
		case (mod == "i" || mod == "m" || mod == "s") && m.comparator == "re":
			m.reFlags += mod
		default:
			return m, fmt.Errorf("modifier %q is not supported (auditctl supports %s)", mod, Supported)
		}
	}
	for _, v := range fm.Values {
		switch v := v.(type) {
		case nil:
			m.values = append(m.values, nil)
		case string:
			m.values = append(m.values, v)
		case int, int64, uint64, float64, bool:
			m.values = append(m.values, fmt.Sprint(v))
		default:
			return m, fmt.Errorf("a value must be a string, number, boolean or null, not a %T", v)
		}
	}
	if len(m.values) == 0 {
		return m, fmt.Errorf("no value")
	}
	switch {
	case m.exists:
		if m.comparator != "" || m.ref || m.windash || m.base64 || len(m.values) != 1 || (m.values[0] != "true" && m.values[0] != "false") {
			return m, fmt.Errorf("exists takes true or false alone")
		}
	case m.ref:
		if m.comparator != "" && m.comparator != "contains" && m.comparator != "startswith" && m.comparator != "endswith" {
			return m, fmt.Errorf("fieldref cannot be combined with %s", m.comparator)
		}
		if m.windash || m.base64 || m.cased {
			return m, fmt.Errorf("fieldref cannot be combined with windash, base64 or cased")
		}
		for _, v := range m.values {
			if s, ok := v.(string); !ok || s == "" {
				return m, fmt.Errorf("fieldref takes field names")
			}
		}
	}
	for _, v := range m.values {
		if v == nil && (m.comparator != "" || m.base64 || m.ref) {
			return m, fmt.Errorf("null cannot be compared with %s", strings.Join(fm.Modifiers, "|"))
		}
	}
	if m.comparator == "re" && !m.base64 {
		for _, v := range m.values {
			if _, err := compileCached(withFlags(v.(string), m.reFlags)); err != nil {
				return m, fmt.Errorf("invalid regular expression: %v", err)
			}
		}
	}
	if m.comparator == "cidr" {
		for _, v := range m.values {
			if !validCIDR(v.(string)) {
				return m, fmt.Errorf("cidr %q is not a CIDR prefix (10.0.0.0/8)", v)
			}
		}
	}
	return m, nil
}

func withFlags(expr, flags string) string {
	if flags == "" {
		return expr
	}
	return "(?" + flags + ")" + expr
}

// forSigmaGo writes a matcher as sigma-go evaluates it, and the fields it
// reads besides its own.
func (m matcher) forSigmaGo() (sigmago.FieldMatcher, []string) {
	fm := sigmago.FieldMatcher{Field: m.field}
	tail := func() {
		if m.all {
			fm.Modifiers = append(fm.Modifiers, "all")
		}
	}
	switch {
	case m.exists:
		fm.Modifiers = []string{"re"}
		if m.values[0] == "true" {
			fm.Values = []any{`^[^\x{FFFF}]*$`}
		} else {
			fm.Values = []any{`^\x{FFFF}$`}
		}
		return fm, nil
	case m.ref:
		var refs []string
		for _, v := range m.values {
			refs = append(refs, v.(string))
			fm.Values = append(fm.Values, "%"+refMarker+v.(string)+"%")
		}
		if m.comparator != "" {
			fm.Modifiers = append(fm.Modifiers, m.comparator)
		}
		tail()
		return fm, refs
	}
	values := m.values
	if m.windash {
		values = windash(values)
	}
	if m.base64 {
		// base64 of a value is compared as text: no wildcards in it.
		fm.Modifiers = append(fm.Modifiers, "base64")
		if m.comparator != "" {
			fm.Modifiers = append(fm.Modifiers, m.comparator)
		}
		fm.Values = values
		tail()
		return fm, nil
	}
	switch m.comparator {
	case "re":
		fm.Modifiers = []string{"re"}
		for _, v := range values {
			fm.Values = append(fm.Values, withFlags(v.(string), m.reFlags))
		}
		tail()
		return fm, nil
	case "cidr", "gt", "gte", "lt", "lte":
		fm.Modifiers = []string{m.comparator}
		fm.Values = values
		tail()
		return fm, nil
	}
	// Equality, contains, startswith, endswith: as they are unless a value
	// needs what sigma-go lacks (null, a wildcard or escape, cased).
	plain := !m.cased
	for _, v := range values {
		if s, ok := v.(string); !ok || strings.ContainsAny(s, `*?\`) || strings.ContainsRune(s, '\uffff') {
			plain = false
		}
	}
	if plain {
		if m.comparator != "" {
			fm.Modifiers = []string{m.comparator}
		}
		fm.Values = values
		tail()
		return fm, nil
	}
	fm.Modifiers = []string{"re"}
	for _, v := range values {
		fm.Values = append(fm.Values, globRegexp(v, m.comparator, m.cased))
	}
	tail()
	return fm, nil
}

// anyChar is what a wildcard stands for: any character but the absent
// value's, so that an absent field never matches a pattern.
const anyChar = `[^\x{FFFF}]`

// globRegexp is the regular expression of a Sigma value (nil: null) under
// a comparison: the whole text must match, * is any run, ? any one
// character, \* \? \\ stand for themselves, any other \ is itself.
func globRegexp(v any, comparator string, cased bool) string {
	if v == nil {
		return `^\x{FFFF}$`
	}
	s := v.(string)
	var b strings.Builder
	b.WriteString("(?s")
	if !cased {
		b.WriteString("i")
	}
	b.WriteString(")^")
	if comparator == "contains" || comparator == "endswith" {
		b.WriteString(anyChar + "*")
	}
	lit := func(r rune) { b.WriteString(regexp.QuoteMeta(string(r))) }
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '*':
			b.WriteString(anyChar + "*")
		case '?':
			b.WriteString(anyChar)
		case '\\':
			if i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\') {
				i++
				lit(rs[i])
			} else {
				lit(c)
			}
		default:
			lit(c)
		}
	}
	if comparator == "contains" || comparator == "startswith" {
		b.WriteString(anyChar + "*")
	}
	b.WriteString("$")
	return b.String()
}

// windashChars are the characters Windows command lines accept for an
// option's dash: the windash modifier tries each.
var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

// windash expands each value into its variants: every "-" or "/" that
// starts a word (at the start or after a space) takes each of windashChars.
func windash(values []any) []any {
	var out []any
	for _, v := range values {
		s, ok := v.(string)
		if !ok {
			out = append(out, v)
			continue
		}
		variants := []string{""}
		rs := []rune(s)
		for i, r := range rs {
			options := []string{string(r)}
			if (r == '-' || r == '/') && (i == 0 || rs[i-1] == ' ') && len(variants)*len(windashChars) <= 256 {
				options = windashChars
			}
			var next []string
			for _, p := range variants {
				for _, o := range options {
					next = append(next, p+o)
				}
			}
			variants = next
		}
		for _, p := range variants {
			out = append(out, p)
		}
	}
	return out
}

// prepare checks the detection and builds the sigma-go evaluator and the
// pushdown of r.
func (r *Rule) prepare(detection *yamlv3.Node) error {
	det := r.rule.Detection
	out := sigmago.Detection{Searches: map[string]sigmago.Search{}, Timeframe: det.Timeframe}
	fieldSet := map[string]bool{}
	names := make([]string, 0, len(det.Searches))
	for name := range det.Searches {
		names = append(names, name)
	}
	sort.Strings(names)
	parsed := map[string][][]matcher{}
	for _, name := range names {
		s := det.Searches[name]
		node := keyNode(detection, name)
		if len(s.Keywords) > 0 {
			fm := sigmago.FieldMatcher{Field: keywordsField, Modifiers: []string{"contains"}}
			for _, k := range s.Keywords {
				fm.Values = append(fm.Values, k)
			}
			s = sigmago.Search{EventMatchers: []sigmago.EventMatcher{{fm}}}
		}
		ns := sigmago.Search{}
		var pm [][]matcher
		for _, em := range s.EventMatchers {
			var nem sigmago.EventMatcher
			var row []matcher
			for _, fm := range em {
				line, col := posOf(fm, node)
				m, err := parseMatcher(fm)
				if err != nil {
					return &posError{line: line, col: col, msg: fmt.Sprintf("%s: %s: %v", name, fm.Field, err)}
				}
				if !checkField(r.Schema, m.field) {
					return &posError{line: line, col: col, msg: fmt.Sprintf("%s: %q is not an auditctl event field (%s)", name, m.field, normalizedHelp)}
				}
				nfm, refs := m.forSigmaGo()
				for _, f := range append(refs, m.field) {
					if !checkField(r.Schema, f) {
						return &posError{line: line, col: col, msg: fmt.Sprintf("%s: fieldref %q is not an auditctl event field (%s)", name, f, normalizedHelp)}
					}
					fieldSet[f] = true
				}
				r.hasRefs = r.hasRefs || m.ref
				nem = append(nem, nfm)
				row = append(row, m)
			}
			ns.EventMatchers = append(ns.EventMatchers, nem)
			pm = append(pm, row)
		}
		out.Searches[name] = ns
		parsed[name] = pm
	}
	cond := keyNode(detection, "condition")
	for _, c := range det.Conditions {
		if c.Aggregation != nil {
			if len(det.Conditions) > 1 {
				return lineErr(cond, "condition: an aggregation must be the rule's only condition")
			}
			agg, err := newAggregation(c.Aggregation, r.tf)
			if err != nil {
				return lineErr(cond, "condition: %v", err)
			}
			for _, f := range []string{agg.field, agg.groupBy} {
				if f == "" {
					continue
				}
				if !checkField(r.Schema, f) {
					return lineErr(cond, "condition: %q is not an auditctl event field (%s)", f, normalizedHelp)
				}
				fieldSet[f] = true
			}
			r.agg = agg
		}
		expr, err := checkExpr(c.Search, names)
		if err != nil {
			return lineErr(cond, "condition: %v", err)
		}
		out.Conditions = append(out.Conditions, sigmago.Condition{Search: expr})
	}
	rule := r.rule
	rule.Detection = out
	mappings := map[string]sigmago.FieldMapping{}
	fields := make([]string, 0, len(fieldSet))
	for f := range fieldSet {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	for _, f := range fields {
		// An identity mapping: sigma-go then compares each element of a
		// field with several values (an array) on its own.
		mappings[f] = sigmago.FieldMapping{TargetNames: []string{f}}
		r.fields = append(r.fields, newField(r.Schema, f))
	}
	r.eval = evaluator.ForRule(rule,
		evaluator.WithConfig(sigmago.Config{FieldMappings: mappings}),
		evaluator.WithPlaceholderExpander(expandRef))
	r.terms = pushdown(r.Schema, out.Conditions, parsed, names)
	return nil
}

const normalizedHelp = "logsource product auditctl reads action, actor, ip, status… and params.PATH, custom.PATH, raw.PATH; " +
	"use product aws (service cloudtrail) or product jumpcloud for the fields of those records"

// checkExpr checks that every identifier and pattern of a condition names
// a search, and writes "1 of X" and "all of X" (one identifier) as X,
// which sigma-go cannot evaluate.
func checkExpr(e sigmago.SearchExpr, names []string) (sigmago.SearchExpr, error) {
	has := func(n string) bool {
		for _, x := range names {
			if x == n {
				return true
			}
		}
		return false
	}
	matchesSome := func(p string) error {
		for _, n := range names {
			if ok, err := path.Match(p, n); err != nil {
				return fmt.Errorf("bad pattern %q: %v", p, err)
			} else if ok {
				return nil
			}
		}
		return fmt.Errorf("%q matches no search identifier of the detection", p)
	}
	each := func(xs []sigmago.SearchExpr) ([]sigmago.SearchExpr, error) {
		out := make([]sigmago.SearchExpr, 0, len(xs))
		for _, x := range xs {
			y, err := checkExpr(x, names)
			if err != nil {
				return nil, err
			}
			out = append(out, y)
		}
		return out, nil
	}
	switch e := e.(type) {
	case sigmago.And:
		out, err := each(e)
		return sigmago.And(out), err
	case sigmago.Or:
		out, err := each(e)
		return sigmago.Or(out), err
	case sigmago.Not:
		y, err := checkExpr(e.Expr, names)
		return sigmago.Not{Expr: y}, err
	case sigmago.SearchIdentifier:
		if !has(e.Name) {
			return nil, fmt.Errorf("%q is not a search identifier of the detection", e.Name)
		}
		return e, nil
	case sigmago.OneOfIdentifier:
		return checkExpr(e.Ident, names)
	case sigmago.AllOfIdentifier:
		return checkExpr(e.Ident, names)
	case sigmago.OneOfPattern:
		return e, matchesSome(e.Pattern)
	case sigmago.AllOfPattern:
		return e, matchesSome(e.Pattern)
	case sigmago.OneOfThem, sigmago.AllOfThem:
		return e, nil
	}
	return nil, fmt.Errorf("unsupported expression %T", e)
}

// expandRef is the placeholder expander: a fieldref placeholder gives the
// values of the referenced field in the event being matched; any other
// %text% is a literal (auditctl defines no placeholders).
func expandRef(ctx context.Context, name string) ([]string, error) {
	f, ok := strings.CutPrefix(name, "%"+refMarker)
	if !ok {
		return []string{name}, nil
	}
	ev, _ := ctx.Value(eventKey{}).(map[string]any)
	switch v := ev[strings.TrimSuffix(f, "%")].(type) {
	case nil:
		return nil, nil
	case string:
		if v == absent {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, modifiers.CoerceString(x))
		}
		return out, nil
	default:
		return []string{modifiers.CoerceString(v)}, nil
	}
}
