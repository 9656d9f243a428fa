// Package sigma evaluates Sigma detection rules (the SigmaHQ format) over
// audit events: `auditctl hunt --sigma`. Rules are parsed and matched by
// github.com/bradleyjkemp/sigma-go; this package maps their field names
// onto the events of the cache (fields.go), fills in what sigma-go leaves
// out or rejects (null values, wildcards, fieldref, windash, exists, cased,
// keyword searches, "1 of" a single search; rewrite.go), and pushes each
// rule's selective part down to the store (pushdown.go), so that sigma-go
// runs only on candidate events (hunt.go).
package sigma

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	yamlv3 "gopkg.in/yaml.v3"

	"github.com/auditctl/auditctl/pkg/audit"
)

// MaxRuleSize is the largest rule file read.
const MaxRuleSize = 1 << 20

// Rule is one Sigma rule, ready to be evaluated, or with the reason it
// cannot be.
type Rule struct {
	// File and Line locate the rule (Line: its title, else its first line).
	File string
	Line int
	// ID is the rule's id, else its file name (with #N for the Nth
	// document of a file holding several).
	ID          string
	Title       string
	Description string
	Level       string
	Author      string
	Tags        []string
	Logsource   sigmago.Logsource
	Schema      Schema
	// Skip says why the rule is not evaluated on purpose (a logsource no
	// audit cache holds); Err why it cannot be evaluated (a syntax error,
	// an unsupported feature). At most one is set.
	Skip string
	Err  error

	rule    sigmago.Rule // as written
	eval    *evaluator.RuleEvaluator
	fields  []field
	hasRefs bool
	agg     *aggregation  // a count condition, nil for none
	tf      time.Duration // the detection's timeframe
	terms   []conj        // pushdown: an event can match only if it matches one term; nil: any event
}

// Usable reports whether the rule can be evaluated.
func (r *Rule) Usable() bool { return r.Err == nil && r.Skip == "" && r.eval != nil }

// Terms returns the pushed-down conditions: an event can match the rule
// only if it matches one of these filters (no filter: any event of the
// rule's source).
func (r *Rule) Terms() []audit.Filter {
	out := make([]audit.Filter, 0, len(r.terms))
	for _, t := range r.terms {
		out = append(out, t.filter())
	}
	return out
}

// Load reads the rules of the given files and directories (every *.yml and
// *.yaml below a directory, in name order). A path that does not exist is
// a usage error; a file that is not a valid rule gives a Rule with Err set,
// so that it is reported and the others still run.
func Load(paths []string) ([]*Rule, error) {
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "--sigma %s: %v", p, unwrapPath(err))
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if ext := strings.ToLower(filepath.Ext(path)); !d.IsDir() && (ext == ".yml" || ext == ".yaml") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, audit.Errorf(audit.EINVALID, "--sigma %s: %v", p, err)
		}
		if len(found) == 0 {
			return nil, audit.Errorf(audit.EUSAGE, "--sigma %s: no .yml or .yaml rule files in this directory", p)
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	var rules []*Rule
	seen := map[string]bool{}
	for _, f := range files {
		if seen[filepath.Clean(f)] {
			continue // named twice (a file and its directory): one rule
		}
		seen[filepath.Clean(f)] = true
		data, err := readRuleFile(f)
		if err != nil {
			rules = append(rules, &Rule{File: f, ID: filepath.Base(f), Err: err})
			continue
		}
		rules = append(rules, Parse(data, f)...)
	}
	return rules, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func readRuleFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, unwrapPath(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRuleSize+1))
	if err != nil {
		return nil, unwrapPath(err)
	}
	if len(data) > MaxRuleSize {
		return nil, fmt.Errorf("larger than %d bytes: not a Sigma rule", MaxRuleSize)
	}
	return data, nil
}

// Parse reads the rules of one file (one per YAML document). It never
// fails as a whole: a document that is not a usable rule gives a Rule with
// Err set.
func Parse(data []byte, file string) []*Rule {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	for n := 1; ; n++ {
		var doc yamlv3.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		r := &Rule{File: file, Line: 1, ID: filepath.Base(file)}
		if n > 1 {
			r.ID += fmt.Sprintf("#%d", n)
		}
		rules = append(rules, r)
		if err != nil {
			r.Err = yamlError(err)
			break // the decoder cannot go on past a syntax error
		}
		parseDoc(r, &doc)
	}
	if len(rules) == 0 {
		rules = append(rules, &Rule{File: file, Line: 1, ID: filepath.Base(file), Err: errors.New("empty file: not a Sigma rule")})
	}
	return rules
}

// yamlError keeps a YAML error's message without its "yaml: " prefix.
func yamlError(err error) error {
	return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
}

func parseDoc(r *Rule, doc *yamlv3.Node) {
	defer func() {
		// sigma-go is not written against hostile input: a panic in it is
		// this rule's error, not the run's end.
		if p := recover(); p != nil {
			r.Err, r.eval = fmt.Errorf("sigma-go cannot read this rule: %v", p), nil
		}
	}()
	root := doc
	if root.Kind == yamlv3.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yamlv3.MappingNode {
		r.Err = lineErr(root, "a Sigma rule is a YAML mapping (title, logsource, detection…)")
		return
	}
	r.Line = root.Line
	var detection *yamlv3.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k := root.Content[i]
		switch k.Value {
		case "title":
			r.Line = k.Line
		case "detection":
			detection = root.Content[i+1]
		case "correlation":
			r.Err = lineErr(k, "correlation rules (Sigma meta-rules) are not supported")
			return
		case "action":
			r.Err = lineErr(k, "rule collections (action: global/repeat/reset) are not supported: write each rule on its own")
			return
		}
	}
	tf, err := takeTimeframe(detection)
	if err != nil {
		r.Err = err
		return
	}
	r.tf = tf
	var rule sigmago.Rule
	if err := root.Decode(&rule); err != nil {
		r.Err = yamlError(err)
		return
	}
	r.rule = rule
	r.Title, r.Description, r.Level, r.Author, r.Tags = rule.Title, rule.Description, strings.ToLower(rule.Level), rule.Author, rule.Tags
	r.Logsource = rule.Logsource
	if rule.ID != "" {
		r.ID = rule.ID
	}
	switch {
	case strings.TrimSpace(rule.Title) == "":
		r.Err = lineErr(root, "no title: every Sigma rule has one")
		return
	case detection == nil:
		r.Err = lineErr(root, "no detection: every Sigma rule has one")
		return
	case len(rule.Detection.Conditions) == 0:
		r.Err = lineErr(detection, "detection: no condition")
		return
	case len(rule.Detection.Searches) == 0:
		r.Err = lineErr(detection, "detection: no search identifier (selection, filter…) besides the condition")
		return
	}
	schema, skip := schemaFor(rule.Logsource.Product, rule.Logsource.Service, rule.Logsource.Category)
	r.Schema = schema
	if err := r.prepare(detection); err != nil {
		r.Err = err
		return
	}
	if skip != "" {
		r.Skip, r.eval = skip, nil
	}
}

type posError struct {
	line, col int
	msg       string
}

func (e *posError) Error() string { return fmt.Sprintf("line %d, column %d: %s", e.line, e.col, e.msg) }

func lineErr(n *yamlv3.Node, format string, args ...any) error {
	if n == nil || n.Line == 0 {
		return fmt.Errorf(format, args...)
	}
	return &posError{line: n.Line, col: n.Column, msg: fmt.Sprintf(format, args...)}
}

// keyNode finds the key node named name in a mapping node (for error
// positions), or the mapping itself.
func keyNode(m *yamlv3.Node, name string) *yamlv3.Node {
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == name {
			return m.Content[i]
		}
	}
	return m
}

// Match reports whether the event matches the rule.
func (r *Rule) Match(e *audit.Event) (ok bool, err error) {
	if r.eval == nil {
		return false, errors.New("rule cannot be evaluated")
	}
	if src := r.Schema.Source(); src != "" && e.Source != src {
		return false, nil
	}
	defer func() {
		if p := recover(); p != nil {
			ok, err = false, fmt.Errorf("sigma-go failed on event %s: %v", e.ID, p)
		}
	}()
	ev := make(map[string]any, len(r.fields))
	var buf [4]any
	for i := range r.fields {
		f := &r.fields[i]
		vs := f.values(r.Schema, e, buf[:0])
		switch len(vs) {
		case 0:
			ev[f.name] = absent
		case 1:
			ev[f.name] = vs[0]
		default:
			ev[f.name] = slices.Clone(vs)
		}
	}
	ctx := context.Background()
	if r.hasRefs {
		ctx = context.WithValue(ctx, eventKey{}, ev)
	}
	res, err := r.eval.Matches(ctx, ev)
	if err != nil {
		return false, err
	}
	return res.Match, nil
}

type eventKey struct{}
