package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/recorder"
	"github.com/auditctl/auditctl/pkg/report"
	"github.com/auditctl/auditctl/pkg/session"
)

// MaxFileSize is the largest policy file read (a policy is a few pages).
const MaxFileSize = 4 << 20

// Load reads and parses the policy files, in order. Rule ids must be
// unique across them. A missing or unreadable file is a usage error too
// (exit 2): the command line named it.
func Load(paths ...string) (*Policy, error) {
	p := &Policy{}
	seen := map[string]*Rule{}
	for _, path := range paths {
		b, err := readFile(path)
		if err != nil {
			return nil, err
		}
		fp, err := Parse(path, b)
		if err != nil {
			return nil, err
		}
		for _, r := range fp.Rules {
			if prev, ok := seen[r.ID]; ok {
				return nil, &Error{File: r.File, Line: r.Line, Column: r.Column, Msg: fmt.Sprintf("rule id %q is already used at %s:%d:%d", r.ID, prev.File, prev.Line, prev.Column)}
			}
			seen[r.ID] = r
			p.Rules = append(p.Rules, r)
		}
	}
	return p, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "policy %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "policy %s: %v", path, err)
	}
	if n > MaxFileSize {
		return nil, audit.Errorf(audit.EUSAGE, "policy %s: larger than %d MiB", path, MaxFileSize>>20)
	}
	return buf.Bytes(), nil
}

// parser walks a YAML document, reporting errors at nodes.
type parser struct {
	file string
	now  time.Time
}

func (p *parser) errf(n *yaml.Node, format string, args ...any) *Error {
	e := &Error{File: p.file, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): (.*)$`) })

// Parse reads one policy file's content; file names it in errors.
func Parse(file string, b []byte) (*Policy, error) {
	p := &parser{file: file, now: time.Now()}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&doc); err != nil {
		msg := err.Error()
		if m := yamlLine().FindStringSubmatch(msg); m != nil {
			line, _ := strconv.Atoi(m[1])
			return nil, &Error{File: file, Line: line, Msg: "not valid YAML: " + m[2]}
		}
		if err.Error() == "EOF" {
			return nil, &Error{File: file, Msg: "empty policy: want a mapping with a list of rules under \"rules\""}
		}
		return nil, &Error{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, p.errf(&extra, "a second YAML document: a policy file holds one")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "want a mapping with a list of rules under \"rules\"")
	}
	pol := &Policy{}
	err := p.mapping(root, "", map[string]func(k, v *yaml.Node) error{
		"rules": func(k, v *yaml.Node) error {
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				return p.errf(v, "rules: want a list of rules (- id: …)")
			}
			ids := map[string]int{}
			for i, n := range v.Content {
				r, err := p.rule(n, fmt.Sprintf("rules[%d]", i))
				if err != nil {
					return err
				}
				if line, ok := ids[r.ID]; ok {
					return p.errf(n, "rule id %q is already used at line %d", r.ID, line)
				}
				ids[r.ID] = r.Line
				pol.Rules = append(pol.Rules, r)
			}
			return nil
		},
	}, "rules")
	if err != nil {
		return nil, err
	}
	return pol, nil
}

// mapping checks that n is a mapping whose keys are among handlers (others
// are refused, with the list of known keys), that each key appears once
// and the required ones are there, and calls each key's handler.
func (p *parser) mapping(n *yaml.Node, path string, handlers map[string]func(k, v *yaml.Node) error, required ...string) error {
	where := path
	if where == "" {
		where = "the policy"
	}
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "%s: want a mapping (key: value)", where)
	}
	var known []string
	for k := range handlers {
		known = append(known, k)
	}
	slices.Sort(known)
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return p.errf(k, "%s: a key must be a plain name", where)
		}
		h, ok := handlers[k.Value]
		if !ok {
			return p.errf(k, "%s: unknown key %q (want one of: %s)", where, k.Value, strings.Join(known, ", "))
		}
		if seen[k.Value] {
			return p.errf(k, "%s: key %q given twice", where, k.Value)
		}
		seen[k.Value] = true
		if err := h(k, v); err != nil {
			return err
		}
	}
	for _, r := range required {
		if !seen[r] {
			return p.errf(n, "%s: missing %q", where, r)
		}
	}
	return nil
}

// scalar returns v's value, or an error when v is not a scalar.
func (p *parser) scalar(v *yaml.Node, path, want string) (string, error) {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", p.errf(v, "%s: want %s", path, want)
	}
	return v.Value, nil
}

// strings reads a scalar or a list of scalars.
func (p *parser) strings(v *yaml.Node, path string) ([]string, error) {
	if v.Kind == yaml.SequenceNode {
		var out []string
		for _, c := range v.Content {
			s, err := p.scalar(c, path, "a value or a list of values")
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		if len(out) == 0 {
			return nil, p.errf(v, "%s: empty list", path)
		}
		return out, nil
	}
	s, err := p.scalar(v, path, "a value or a list of values")
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func (p *parser) positive(v *yaml.Node, path string) (int64, error) {
	s, err := p.scalar(v, path, "a whole number")
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, p.errf(v, "%s: want a whole number >= 0, got %q", path, s)
	}
	return n, nil
}

func (p *parser) duration(v *yaml.Node, path string) (time.Duration, error) {
	s, err := p.scalar(v, path, "a duration (10m, 1h, 24h, 7d)")
	if err != nil {
		return 0, err
	}
	d, err := audit.ParseDurationArg(s)
	if err != nil || d <= 0 {
		return 0, p.errf(v, "%s: want a duration such as 10m, 1h, 24h or 7d, got %q", path, s)
	}
	return d, nil
}

// query checks a -q query; an error points at its column in the file.
func (p *parser) query(v *yaml.Node, path string) (string, error) {
	s, err := p.scalar(v, path, "a query in the -q language (action:DeleteUser -status:success)")
	if err != nil {
		return "", err
	}
	f, err := query.Parse(s, p.now)
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		e := p.errf(v, "%s: %v", path, err)
		var se *query.SyntaxError
		if errors.As(err, &se) {
			e.Msg = fmt.Sprintf("%s: %s", path, se.Msg)
			if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
				e.Column++
			}
			if !strings.Contains(s, "\n") && v.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
				e.Column += se.Column - 1
			}
		}
		return "", e
	}
	return s, nil
}

func (p *parser) rule(n *yaml.Node, path string) (*Rule, error) {
	r := &Rule{File: p.file, Line: n.Line, Column: n.Column, Severity: report.SeverityMedium}
	var condNode, exNode *yaml.Node
	err := p.mapping(n, path, map[string]func(k, v *yaml.Node) error{
		"id": func(k, v *yaml.Node) (err error) {
			r.ID, err = p.scalar(v, path+".id", "a rule id")
			if err == nil && !validID(r.ID) {
				err = p.errf(v, "%s.id: %q: want letters, digits, '-', '_', '.' or '/' (at most 128)", path, r.ID)
			}
			return err
		},
		"title": func(k, v *yaml.Node) (err error) {
			r.Title, err = p.scalar(v, path+".title", "a one-line title")
			return err
		},
		"description": func(k, v *yaml.Node) (err error) {
			r.Description, err = p.scalar(v, path+".description", "a text")
			return err
		},
		"severity": func(k, v *yaml.Node) error {
			s, err := p.scalar(v, path+".severity", "a severity")
			if err != nil {
				return err
			}
			if r.Severity, err = report.ParseSeverity(s); err != nil {
				return p.errf(v, "%s.severity: %q: want one of %s", path, s, strings.Join(report.SeverityNames(), ", "))
			}
			return nil
		},
		"events": func(k, v *yaml.Node) error {
			r.Events = true
			return p.mapping(v, path+".events", map[string]func(k, v *yaml.Node) error{
				"query": func(k, v *yaml.Node) (err error) {
					r.Query, err = p.query(v, path+".events.query")
					return err
				},
			})
		},
		"sessions": func(k, v *yaml.Node) (err error) {
			r.Sessions, err = p.sessions(v, path+".sessions")
			return err
		},
		"queries": func(k, v *yaml.Node) (err error) {
			r.Queries, err = p.queries(v, path+".queries")
			return err
		},
		"condition": func(k, v *yaml.Node) error {
			condNode = v
			return nil
		},
		"exceptions": func(k, v *yaml.Node) error {
			exNode = v // read once the rule's subject is known
			return nil
		},
		"schedule": func(k, v *yaml.Node) error {
			if v.Kind != yaml.SequenceNode {
				return p.errf(v, "%s.schedule: want a list of allowed windows (- days: [tue], from: \"18:00\", to: \"20:00\", tz: UTC)", path)
			}
			for i, c := range v.Content {
				w, err := p.window(c, fmt.Sprintf("%s.schedule[%d]", path, i))
				if err != nil {
					return err
				}
				r.Schedule = append(r.Schedule, w)
			}
			return nil
		},
	}, "id", "condition")
	if err != nil {
		return nil, err
	}
	if subjects := btoi(r.Events) + btoi(r.Sessions != nil) + btoi(r.Queries != nil); subjects != 1 {
		return nil, p.errf(n, "%s (%s): want exactly one of \"events\", \"sessions\" and \"queries\"", path, r.ID)
	}
	if exNode != nil {
		if r.Exceptions, err = p.exceptions(exNode, path+".exceptions", r); err != nil {
			return nil, err
		}
	}
	if r.Condition, err = p.condition(condNode, path+".condition", r); err != nil {
		return nil, err
	}
	if r.Title == "" {
		r.Title = r.ID
	}
	return r, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// exceptions reads a rule's exceptions: each a query over events, or for
// a queries rule, the keys of its queries mapping.
func (p *parser) exceptions(n *yaml.Node, path string, r *Rule) ([]Exception, error) {
	if r.Sessions != nil {
		return nil, p.errf(n, "%s: exceptions excuse events or queries; narrow a sessions rule with its filters", path)
	}
	if n.Kind != yaml.SequenceNode {
		if r.Queries != nil {
			return nil, p.errf(n, "%s: want a list of exceptions (- statement: …, user: …, until: …, reason: …)", path)
		}
		return nil, p.errf(n, "%s: want a list of exceptions (- query: …, until: …, reason: …)", path)
	}
	var out []Exception
	for i, c := range n.Content {
		ep := fmt.Sprintf("%s[%d]", path, i)
		var e Exception
		var err error
		if r.Queries != nil {
			e, err = p.queryException(c, ep)
		} else {
			e, err = p.exception(c, ep)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func validID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./", c)) {
			return false
		}
	}
	return true
}

var conditionKinds = "none, {max: N}, {threshold: N, group_by: FIELD, window: 10m}, {require: N, every: 24h} or {sequence: [{query: …}, {query: …}], group_by: FIELD, window: 1h}"

func (p *parser) condition(n *yaml.Node, path string, r *Rule) (Condition, error) {
	var c Condition
	if n.Kind == yaml.ScalarNode {
		switch n.Value {
		case "none":
			c.Kind = KindNone
		case "require":
			c.Kind, c.N = KindRequire, 1
		default:
			return c, p.errf(n, "%s: %q: want %s", path, n.Value, conditionKinds)
		}
	} else {
		var groupNode, windowNode, everyNode *yaml.Node
		kinds := 0
		err := p.mapping(n, path, map[string]func(k, v *yaml.Node) error{
			"max": func(k, v *yaml.Node) (err error) {
				kinds++
				c.Kind = KindMax
				c.N, err = p.positive(v, path+".max")
				return err
			},
			"threshold": func(k, v *yaml.Node) (err error) {
				kinds++
				c.Kind = KindThreshold
				c.N, err = p.positive(v, path+".threshold")
				return err
			},
			"require": func(k, v *yaml.Node) (err error) {
				kinds++
				c.Kind = KindRequire
				if v.Value == "true" {
					c.N = 1
					return nil
				}
				c.N, err = p.positive(v, path+".require")
				if err == nil && c.N == 0 {
					err = p.errf(v, "%s.require: want at least 1", path)
				}
				return err
			},
			"sequence": func(k, v *yaml.Node) error {
				kinds++
				c.Kind = KindSequence
				if v.Kind != yaml.SequenceNode || len(v.Content) < 2 {
					return p.errf(v, "%s.sequence: want a list of at least two steps (- query: …)", path)
				}
				for i, s := range v.Content {
					step := Step{Count: 1}
					sp := fmt.Sprintf("%s.sequence[%d]", path, i)
					err := p.mapping(s, sp, map[string]func(k, v *yaml.Node) error{
						"query": func(k, v *yaml.Node) (err error) {
							step.Query, err = p.query(v, sp+".query")
							return err
						},
						"count": func(k, v *yaml.Node) error {
							n, err := p.positive(v, sp+".count")
							if err == nil && (n < 1 || n > 10000) {
								err = p.errf(v, "%s.count: want 1 to 10000", sp)
							}
							step.Count = int(n)
							return err
						},
					}, "query")
					if err != nil {
						return err
					}
					c.Steps = append(c.Steps, step)
				}
				return nil
			},
			"group_by": func(k, v *yaml.Node) error { groupNode = v; return nil },
			"window":   func(k, v *yaml.Node) error { windowNode = v; return nil },
			"every":    func(k, v *yaml.Node) error { everyNode = v; return nil },
		})
		if err != nil {
			return c, err
		}
		if kinds != 1 {
			return c, p.errf(n, "%s: want exactly one of max, threshold, require and sequence", path)
		}
		needs := map[Kind][]string{KindThreshold: {"group_by", "window"}, KindSequence: {"group_by", "window"}, KindRequire: {}, KindMax: {}}
		allowed := map[string]bool{}
		for _, k := range needs[c.Kind] {
			allowed[k] = true
		}
		if c.Kind == KindRequire {
			allowed["every"] = true
		}
		for name, node := range map[string]*yaml.Node{"group_by": groupNode, "window": windowNode, "every": everyNode} {
			if node != nil && !allowed[name] {
				return c, p.errf(node, "%s: %q does not apply to %s", path, name, c.Kind)
			}
			if node == nil && slices.Contains(needs[c.Kind], name) {
				return c, p.errf(n, "%s: %s needs %q", path, c.Kind, name)
			}
		}
		if groupNode != nil {
			names, err := p.strings(groupNode, path+".group_by")
			if err != nil {
				return c, err
			}
			for _, name := range names {
				f, ok := audit.ParseField(name)
				if !ok || !slices.Contains(audit.MatchFields, f) || f == audit.FieldID {
					return c, p.errf(groupNode, "%s.group_by: %q: want one of %s", path, name, strings.Join(audit.CountFieldNames(), ", "))
				}
				c.GroupBy = append(c.GroupBy, f)
			}
		}
		if windowNode != nil {
			if c.Window, err = p.duration(windowNode, path+".window"); err != nil {
				return c, err
			}
		}
		if everyNode != nil {
			if c.Every, err = p.duration(everyNode, path+".every"); err != nil {
				return c, err
			}
		}
	}
	if r.Sessions != nil && c.Kind != KindNone && c.Kind != KindMax && c.Kind != KindRequire {
		return c, p.errf(n, "%s: a sessions rule takes none, max or require (threshold and sequence are for events)", path)
	}
	if r.Sessions != nil && len(r.Schedule) > 0 {
		return c, p.errf(n, "%s: a schedule excuses events or queries by their time; narrow a sessions rule with its filters", path)
	}
	if r.Queries != nil && c.Kind != KindNone && c.Kind != KindMax {
		return c, p.errf(n, "%s: a queries rule takes none or max (threshold, require and sequence are for events)", path)
	}
	if c.Kind == KindRequire && (len(r.Exceptions) > 0 || len(r.Schedule) > 0) {
		return c, p.errf(n, "%s: require takes no exceptions or schedule (they excuse matches; require asks for them)", path)
	}
	return c, nil
}

func (p *parser) exception(n *yaml.Node, path string) (Exception, error) {
	e := Exception{Line: n.Line}
	handlers := p.waiver(&e, path)
	handlers["query"] = func(k, v *yaml.Node) (err error) {
		e.Query, err = p.query(v, path+".query")
		return err
	}
	err := p.mapping(n, path, handlers, "query", "reason")
	return e, err
}

// queryException reads an exception of a queries rule: the keys of a
// queries mapping (at least one), until and reason.
func (p *parser) queryException(n *yaml.Node, path string) (Exception, error) {
	e := Exception{Line: n.Line, Queries: &QueryFilter{}}
	handlers := p.waiver(&e, path)
	filters := p.queryHandlers(e.Queries, path)
	var names []string
	for k, h := range filters {
		handlers[k] = h
		names = append(names, k)
	}
	slices.Sort(names)
	if err := p.mapping(n, path, handlers, "reason"); err != nil {
		return e, err
	}
	for i := 0; i < len(n.Content); i += 2 {
		if _, ok := filters[n.Content[i].Value]; ok {
			return e, p.checkDurations(n, path, &e.Queries.Sessions)
		}
	}
	return e, p.errf(n, "%s: say which queries it excuses (one or more of: %s)", path, strings.Join(names, ", "))
}

// waiver is what every exception has: until (optional) and reason.
func (p *parser) waiver(e *Exception, path string) map[string]func(k, v *yaml.Node) error {
	return map[string]func(k, v *yaml.Node) error{
		"until": func(k, v *yaml.Node) error {
			s, err := p.scalar(v, path+".until", "a date (2027-01-01) or an RFC 3339 time")
			if err != nil {
				return err
			}
			if e.Until, err = parseDate(s); err != nil {
				return p.errf(v, "%s.until: %q: want a date (2027-01-01) or an RFC 3339 time", path, s)
			}
			return nil
		},
		"reason": func(k, v *yaml.Node) (err error) {
			e.Reason, err = p.scalar(v, path+".reason", "why the exception exists (a ticket, a person)")
			if err == nil && strings.TrimSpace(e.Reason) == "" {
				err = p.errf(v, "%s.reason: want why the exception exists", path)
			}
			return err
		},
	}
}

// parseDate reads an exception's until: a date means the end of that day
// (UTC), so "until: 2026-12-31" still excuses matches on the 31st.
func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t.AddDate(0, 0, 1), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "sunday": time.Sunday, "mon": time.Monday, "monday": time.Monday,
	"tue": time.Tuesday, "tuesday": time.Tuesday, "wed": time.Wednesday, "wednesday": time.Wednesday,
	"thu": time.Thursday, "thursday": time.Thursday, "fri": time.Friday, "friday": time.Friday,
	"sat": time.Saturday, "saturday": time.Saturday,
}

func (p *parser) window(n *yaml.Node, path string) (Window, error) {
	w := Window{Location: time.UTC}
	err := p.mapping(n, path, map[string]func(k, v *yaml.Node) error{
		"days": func(k, v *yaml.Node) error {
			days, err := p.strings(v, path+".days")
			if err != nil {
				return err
			}
			for _, d := range days {
				wd, ok := weekdays[strings.ToLower(d)]
				if !ok {
					return p.errf(v, "%s.days: %q: want mon, tue, wed, thu, fri, sat or sun", path, d)
				}
				w.Days = append(w.Days, wd)
			}
			return nil
		},
		"from": func(k, v *yaml.Node) (err error) {
			w.From, err = p.clock(v, path+".from")
			return err
		},
		"to": func(k, v *yaml.Node) (err error) {
			w.To, err = p.clock(v, path+".to")
			return err
		},
		"tz": func(k, v *yaml.Node) error {
			s, err := p.scalar(v, path+".tz", "a time zone (UTC, Europe/Berlin)")
			if err != nil {
				return err
			}
			if w.Location, err = time.LoadLocation(s); err != nil || s == "" || s == "Local" {
				return p.errf(v, "%s.tz: %q: want a time zone name such as UTC or Europe/Berlin", path, s)
			}
			return nil
		},
	}, "from", "to")
	if err == nil && w.From == w.To {
		err = p.errf(n, "%s: from and to are the same time: the window would be empty (or, for all day, leave schedule out)", path)
	}
	return w, err
}

// clock reads "HH:MM" (24:00 is the end of the day).
func (p *parser) clock(v *yaml.Node, path string) (int, error) {
	s, err := p.scalar(v, path, `a time of day, "HH:MM"`)
	if err != nil {
		return 0, err
	}
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 || len(m) != 2 {
		return 0, p.errf(v, "%s: %q: want a time of day, \"HH:MM\" (quoted: YAML reads 18:00 unquoted as a number)", path, s)
	}
	return hh*60 + mm, nil
}

// sessions reads the filters of `sessions list`, by the flags' names with
// '_' for '-'.
func (p *parser) sessions(n *yaml.Node, path string) (*session.Filter, error) {
	f := &session.Filter{}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return f, nil // "sessions:" alone: every session
	}
	if err := p.mapping(n, path, p.sessionHandlers(f, path, "status")); err != nil {
		return nil, err
	}
	return f, p.checkDurations(n, path, f)
}

// queries reads a queries rule's mapping: the session filters of a
// sessions rule (the session's status as session_status), the queries'
// status and a statement match.
func (p *parser) queries(n *yaml.Node, path string) (*QueryFilter, error) {
	q := &QueryFilter{}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return q, nil // "queries:" alone: every query of every session
	}
	if err := p.mapping(n, path, p.queryHandlers(q, path)); err != nil {
		return nil, err
	}
	return q, p.checkDurations(n, path, &q.Sessions)
}

// queryHandlers are the keys of a queries mapping (and of its rule's
// exceptions).
func (p *parser) queryHandlers(q *QueryFilter, path string) map[string]func(k, v *yaml.Node) error {
	handlers := p.sessionHandlers(&q.Sessions, path, "session_status")
	handlers["status"] = func(k, v *yaml.Node) error {
		vs, err := p.strings(v, path+".status")
		for _, s := range vs {
			s = strings.ToLower(strings.TrimSpace(s))
			if s != "ok" && s != "error" && s != "blocked" {
				return p.errf(v, "%s.status: %q: want blocked, error or ok (the status of a query; session_status is the session's)", path, s)
			}
			q.Status = append(q.Status, s)
		}
		return err
	}
	handlers["statement"] = func(k, v *yaml.Node) error {
		s, err := p.scalar(v, path+".statement", "a statement match: a substring (DROP TABLE) or /a regular expression/")
		if err != nil {
			return err
		}
		rule, err := recorder.ParseRule(s)
		if err != nil {
			return p.errf(v, "%s.statement: %v", path, strings.TrimPrefix(err.Error(), "block rule "))
		}
		q.Statement, q.statement = s, &rule
		return nil
	}
	return handlers
}

// checkDurations refuses a min_duration longer than the max_duration.
func (p *parser) checkDurations(n *yaml.Node, path string, f *session.Filter) error {
	if f.MaxDuration > 0 && f.MinDuration > f.MaxDuration {
		return p.errf(n, "%s: min_duration is longer than max_duration", path)
	}
	return nil
}

var sessionKeys = []string{"user", "connector", "category", "resource", "resource_id", "session_id", "server_os", "protocol", "connected_from", "status", "has_recording", "min_duration", "max_duration", "search"}

// sessionHandlers are the keys of the filters of `sessions list` into f;
// statusKey names the session's status (status in a sessions rule,
// session_status in a queries rule, whose status is the query's).
func (p *parser) sessionHandlers(f *session.Filter, path, statusKey string) map[string]func(k, v *yaml.Node) error {
	handlers := map[string]func(k, v *yaml.Node) error{}
	lists := map[string]*[]string{"user": &f.Users, "connector": &f.Connector, "resource": &f.ResourceName, "resource_id": &f.ResourceID,
		"session_id": &f.SessionID, "server_os": &f.ServerOS, "protocol": &f.Protocol, "connected_from": &f.ConnectedFrom}
	for key, dst := range lists {
		handlers[key] = func(k, v *yaml.Node) (err error) {
			*dst, err = p.strings(v, path+"."+key)
			return err
		}
	}
	handlers["category"] = func(k, v *yaml.Node) error {
		vs, err := p.strings(v, path+".category")
		for _, s := range vs {
			c, err := session.ParseCategory(s)
			if err != nil || c == "" {
				return p.errf(v, "%s.category: %q: want server, database or website", path, s)
			}
			f.Category = append(f.Category, c)
		}
		return err
	}
	handlers[statusKey] = func(k, v *yaml.Node) error {
		vs, err := p.strings(v, path+"."+statusKey)
		for _, s := range vs {
			st, err := session.ParseStatus(s)
			if err != nil {
				return p.errf(v, "%s.%s: %q: want active, completed, terminated or stale", path, statusKey, s)
			}
			f.Status = append(f.Status, st)
		}
		return err
	}
	handlers["has_recording"] = func(k, v *yaml.Node) error {
		s, err := p.scalar(v, path+".has_recording", "yes or no")
		if err != nil {
			return err
		}
		var ok bool
		if f.HasRecording, ok = session.ParseHasRecording(s); !ok || f.HasRecording == nil {
			return p.errf(v, "%s.has_recording: %q: want yes or no", path, s)
		}
		return nil
	}
	for key, dst := range map[string]*time.Duration{"min_duration": &f.MinDuration, "max_duration": &f.MaxDuration} {
		handlers[key] = func(k, v *yaml.Node) error {
			s, err := p.scalar(v, path+"."+key, `a duration, "HH:MM" or 4h`)
			if err != nil {
				return err
			}
			if *dst, err = session.ParseDuration(path+"."+key, s); err != nil {
				return p.errf(v, "%s.%s: %q: want \"HH:MM\" (\"04:00\") or a duration (4h, 90m)", path, key, s)
			}
			return nil
		}
	}
	handlers["search"] = func(k, v *yaml.Node) (err error) {
		f.Search, err = p.scalar(v, path+".search", "a text")
		return err
	}
	if len(handlers) != len(sessionKeys) {
		panic("policy: session keys out of step")
	}
	return handlers
}
