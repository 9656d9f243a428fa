// Package query compiles the -q/--query language, in the style of GitHub's
// audit log search, to an audit.Filter, and renders a Filter back into it.
//
// A query is a list of terms separated by white space; all terms must match.
//
//	action:DeleteUser actor:alice@example.com -status:success duration:>500 time:>=2026-11-01 "free text"
//
// Terms:
//
//	key:value            the field key matches value (keys as audit.ParseField
//	                     reads them, case-insensitive, aliases allowed; also
//	                     created for time)
//	key:v1,v2            the field matches v1 or v2; repeating a key also ORs
//	-key:value           the field matches none of the values (Filter.Exclude)
//	word, "a phrase"     full text (Filter.Text)
//	-word, -"a phrase"   full text that must not match (Filter.NotText)
//
// A value is a bare word, ended by white space or a comma, or a quoted string
// in which \" and \\ stand for " and \. A value containing * is a wildcard
// pattern and is passed through unchanged. status values are normalized
// (failed → failure); ip values are addresses or CIDR prefixes.
//
// time (alias created) and duration take one value with an optional
// comparison operator (>, >=, <, <=) or a range a..b, whose ends are
// inclusive and either of which may be * (open):
//
//	time:>=2026-11-01  time:<2026-11-05T12:00:00Z  time:2026-11-01  time:2026-11-01..2026-11-05
//	time:>7d           time:24h
//	duration:>500      duration:<=1.5s  duration:100..500  duration:250
//
// A time is anything audit.ParseTimeArg reads. A date stands for its whole
// day in UTC, so time:2026-11-01 is that day and time:<=2026-11-05 includes
// the 5th; any other time is an instant. A relative time with no operator
// means since then: time:24h is the last 24 hours. Durations are in
// milliseconds unless they carry a unit (500ms, 1.5s, 2m). Several time or
// duration terms narrow the result to the tightest bounds.
package query

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/auditctl/auditctl/pkg/audit"
)

// SyntaxError reports a query that cannot be compiled: the column (1-based,
// counted in runes) and what is wrong there. errors.As finds an *audit.Error
// with code EUSAGE in it, so the CLI exits with code 2.
type SyntaxError struct {
	Query  string
	Column int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("query: column %d: %s", e.Column, e.Msg)
}

// As lets errors.As find an *audit.Error (code EUSAGE) in a *SyntaxError.
func (e *SyntaxError) As(target any) bool {
	if t, ok := target.(**audit.Error); ok {
		*t = &audit.Error{Code: audit.EUSAGE, Message: e.Error()}
		return true
	}
	return false
}

// Caret returns the query and, under it, a caret at the column, for showing
// the error to a person in a monospaced font.
func (e *SyntaxError) Caret() string {
	q := strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, e.Query)
	return q + "\n" + strings.Repeat(" ", max(e.Column-1, 0)) + "^"
}

// extraKeys are query keys beyond those audit.ParseField knows.
var extraKeys = map[string]audit.Field{"created": audit.FieldTime}

// knownKeys lists the keys for the unknown-field error.
var knownKeys = func() string {
	names := make([]string, 0, len(audit.MatchFields)+3)
	for _, f := range audit.MatchFields {
		names = append(names, string(f))
	}
	names = append(names, "time", "created", "duration")
	return strings.Join(names, ", ")
}()

func lookupKey(k string) (audit.Field, bool) {
	if f, ok := extraKeys[strings.ToLower(k)]; ok {
		return f, true
	}
	if strings.TrimSpace(k) != k {
		return "", false
	}
	return audit.ParseField(k)
}

// Parse compiles a query string to a Filter. now anchors relative times
// (7d, 24h). An empty query gives the zero Filter. Errors are *SyntaxError.
func Parse(q string, now time.Time) (audit.Filter, error) {
	p := parser{q: q, now: now}
	for {
		p.skipSpace()
		if p.pos >= len(p.q) {
			break
		}
		if err := p.term(); err != nil {
			return audit.Filter{}, err
		}
	}
	return p.f, nil
}

type parser struct {
	q   string
	pos int // byte offset of the next rune
	now time.Time
	f   audit.Filter
	// flag: parsing a flag's value (ParseValues), where only the end of
	// the text ends the value list.
	flag bool
}

// value is one item of a value list: its text and the byte offset where it
// starts in the query (at the opening quote when quoted).
type value struct {
	s      string
	pos    int
	quoted bool
}

// at returns the query offset of byte i of the value, or of the value's
// start when it was quoted (escapes make the mapping inexact).
func (v value) at(i int) int {
	if v.quoted {
		return v.pos
	}
	return v.pos + i
}

func (p *parser) errAt(pos int, format string, args ...any) *SyntaxError {
	if pos > len(p.q) {
		pos = len(p.q)
	}
	return &SyntaxError{Query: p.q, Column: utf8.RuneCountInString(p.q[:pos]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) peek() (rune, int) {
	if p.pos >= len(p.q) {
		return utf8.RuneError, 0
	}
	return utf8.DecodeRuneInString(p.q[p.pos:])
}

func (p *parser) atEnd() bool { return p.pos >= len(p.q) }

// atBreak reports whether the parser is at the end or at white space.
func (p *parser) atBreak() bool {
	r, _ := p.peek()
	return p.atEnd() || unicode.IsSpace(r)
}

func (p *parser) skipSpace() {
	for !p.atEnd() {
		r, n := p.peek()
		if !unicode.IsSpace(r) {
			return
		}
		p.pos += n
	}
}

// term parses one term at p.pos (not at white space or the end).
func (p *parser) term() error {
	start := p.pos
	neg := false
	if p.q[p.pos] == '-' {
		neg = true
		p.pos++
		if p.atBreak() {
			return p.errAt(start, `expected a term after "-"`)
		}
	}
	if p.q[p.pos] == '"' {
		s, err := p.quoted()
		if err != nil {
			return err
		}
		if !p.atBreak() {
			return p.unexpectedAfterQuote()
		}
		p.addText(neg, s)
		return nil
	}
	// A bare word, or key: when a ':' comes before the next white space.
	ks := p.pos
	for !p.atBreak() && p.q[p.pos] != ':' {
		_, n := p.peek()
		p.pos += n
	}
	if p.atBreak() {
		p.addText(neg, p.q[ks:p.pos])
		return nil
	}
	key := p.q[ks:p.pos]
	field, ok := lookupKey(key)
	if !ok {
		if key == "" {
			return p.errAt(ks, `expected a field name before ":" (quote text that contains ":")`)
		}
		return p.errAt(ks, "unknown field %q (known: %s; quote text that contains \":\")", key, knownKeys)
	}
	p.pos++ // ':'
	vals, err := p.values(key)
	if err != nil {
		return err
	}
	switch field {
	case audit.FieldTime, audit.FieldDuration:
		if neg {
			return p.errAt(start, "cannot negate %s: use the opposite comparison (%s:<… instead of -%s:>=…)", key, key, key)
		}
		if len(vals) > 1 {
			return p.errAt(vals[1].pos, "%s: takes one value (use a..b for a range)", key)
		}
		if field == audit.FieldTime {
			return p.timeTerm(key, vals[0])
		}
		return p.durationTerm(key, vals[0])
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		s, err := p.checkValue(field, v)
		if err != nil {
			return err
		}
		out[i] = s
	}
	if neg {
		p.f.AddExclude(field, out...)
	} else {
		p.f.Add(field, out...)
	}
	return nil
}

func (p *parser) addText(neg bool, s string) {
	if neg {
		p.f.NotText = append(p.f.NotText, s)
	} else {
		p.f.Text = append(p.f.Text, s)
	}
}

// quoted reads a quoted string at p.pos (at the opening quote).
func (p *parser) quoted() (string, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.q) {
		c := p.q[p.pos]
		switch {
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == '\\' && p.pos+1 < len(p.q) && (p.q[p.pos+1] == '"' || p.q[p.pos+1] == '\\'):
			b.WriteByte(p.q[p.pos+1])
			p.pos += 2
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errAt(open, "unterminated quote")
}

func (p *parser) unexpectedAfterQuote() error {
	r, _ := p.peek()
	return p.errAt(p.pos, "unexpected %q after closing quote (put a space between terms)", r)
}

// values reads the comma-separated value list after "key:".
func (p *parser) values(key string) ([]value, error) {
	var vals []value
	after := key + ":"
	for {
		if p.atValueEnd() {
			if after == ":" {
				return nil, p.errAt(p.pos, "expected a value")
			}
			return nil, p.errAt(p.pos, "expected a value after %q", after)
		}
		start := p.pos
		if p.q[p.pos] == '"' {
			s, err := p.quoted()
			if err != nil {
				return nil, err
			}
			vals = append(vals, value{s: s, pos: start, quoted: true})
			p.skipFlagSpace()
			if !p.atListEnd() && p.q[p.pos] != ',' {
				return nil, p.unexpectedAfterQuote()
			}
		} else {
			for !p.atValueEnd() {
				_, n := p.peek()
				p.pos += n
			}
			s := p.q[start:p.pos]
			if p.flag {
				s = strings.TrimRightFunc(s, unicode.IsSpace)
			}
			vals = append(vals, value{s: s, pos: start})
		}
		if p.atListEnd() {
			return vals, nil
		}
		p.pos++ // ','
		p.skipFlagSpace()
		after = ","
	}
}

// atListEnd reports whether a value list ends here: at white space in a
// query, only at the end in a flag's value.
func (p *parser) atListEnd() bool {
	if p.flag {
		return p.atEnd()
	}
	return p.atBreak()
}

// atValueEnd reports whether a bare value ends here (the list's end or a
// comma).
func (p *parser) atValueEnd() bool { return p.atListEnd() || p.q[p.pos] == ',' }

// skipFlagSpace skips the white space a flag's value may have around its
// commas ("CreateUser, DeleteUser").
func (p *parser) skipFlagSpace() {
	if p.flag {
		p.skipSpace()
	}
}

// ParseValues reads the value of a filter flag for field f (--action
// CreateUser,AttachUserPolicy) with the syntax of a query's key:value term,
// so that a flag and -q accept the same values: a comma-separated list of
// bare or quoted values ("Smith, Alice" keeps its comma), * wildcards, status
// spellings normalized, ip values checked. White space is part of a bare
// value (the shell has already split the arguments), except around the
// commas. Negation has no flag form: use -q '-key:value'. Errors are
// *SyntaxError, with the flag's value as the query.
func ParseValues(f audit.Field, s string) ([]string, error) {
	p := parser{q: s, flag: true}
	p.skipSpace()
	vals, err := p.values("")
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		if out[i], err = p.checkValue(f, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SplitValues reads a comma-separated list with the same syntax as
// ParseValues, for flags whose values are not event fields (sessions list).
func SplitValues(s string) ([]string, error) {
	return ParseValues("", s)
}

// checkValue validates and normalizes a value of a match field.
func (p *parser) checkValue(f audit.Field, v value) (string, error) {
	switch f {
	case audit.FieldStatus:
		st, ok := audit.ParseStatus(v.s)
		if !ok {
			return "", p.errAt(v.pos, "unknown status %q (want success, failure, warning or in_progress)", v.s)
		}
		return string(st), nil
	case audit.FieldIP:
		if _, _, err := audit.ParseIPMatch(v.s); err != nil {
			return "", p.errAt(v.pos, "%v", err)
		}
	}
	return v.s, nil
}

// splitOp splits a leading comparison operator off s.
func splitOp(s string) (op, rest string) {
	for _, o := range []string{">=", "<=", ">", "<"} {
		if strings.HasPrefix(s, o) {
			return o, s[len(o):]
		}
	}
	return "", s
}

// timeTerm applies time:<v> to the filter.
func (p *parser) timeTerm(key string, v value) error {
	op, rest := splitOp(v.s)
	restPos := len(op)
	if op != "" {
		if rest == "" {
			return p.errAt(v.at(restPos), "expected a time after %q", key+":"+op)
		}
		start, end, _, err := p.timeSpan(rest, v.at(restPos))
		if err != nil {
			return err
		}
		switch op {
		case ">":
			return p.since(end, v)
		case ">=":
			return p.since(start, v)
		case "<":
			return p.until(start, v)
		default: // "<="
			return p.until(end, v)
		}
	}
	if a, b, ok := strings.Cut(v.s, ".."); ok {
		var since, until time.Time
		var err error
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		if (a == "" || a == "*") && (b == "" || b == "*") {
			return p.errAt(v.pos, "expected a time before or after \"..\"")
		}
		if a != "" && a != "*" {
			if since, _, _, err = p.timeSpan(a, v.pos); err != nil {
				return err
			}
		}
		bpos := v.at(len(v.s) - len(b))
		if b != "" && b != "*" {
			if _, until, _, err = p.timeSpan(b, bpos); err != nil {
				return err
			}
		}
		if !since.IsZero() && !until.IsZero() && !since.Before(until) {
			return p.errAt(bpos, "time range ends before it starts")
		}
		if !since.IsZero() {
			if err := p.since(since, v); err != nil {
				return err
			}
		}
		if !until.IsZero() {
			return p.until(until, v)
		}
		return nil
	}
	start, end, relative, err := p.timeSpan(v.s, v.pos)
	if err != nil {
		return err
	}
	if err := p.since(start, v); err != nil {
		return err
	}
	if relative {
		return nil
	}
	return p.until(end, v)
}

// timeSpan reads a time and returns the span it names, [start, end): a
// date's whole day, or for any other time the instant [t, t+1ns). relative
// says the time was given back from now (or as "now").
func (p *parser) timeSpan(s string, pos int) (start, end time.Time, relative bool, err error) {
	s = strings.TrimSpace(s)
	t, err := audit.ParseTimeArg(s, p.now)
	if err != nil {
		var ae *audit.Error
		msg := err.Error()
		if errors.As(err, &ae) {
			msg = ae.Message
		}
		return start, end, false, p.errAt(pos, "%s", msg)
	}
	relative = !strings.Contains(s, "-")
	if !relative && len(s) == len(time.DateOnly) { // the only 10-byte absolute form
		return t, t.AddDate(0, 0, 1), false, nil
	}
	return t, t.Add(1), relative, nil
}

// Times must be writable as RFC 3339 for Format to render them.
var (
	minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

func (p *parser) checkTime(t time.Time, v value) error {
	if t.Before(minTime) || !t.Before(maxTime) {
		return p.errAt(v.pos, "time out of range (years 0000 to 9999)")
	}
	return nil
}

// since narrows the filter's lower time bound to t.
func (p *parser) since(t time.Time, v value) error {
	if err := p.checkTime(t, v); err != nil {
		return err
	}
	if p.f.Since.IsZero() || t.After(p.f.Since) {
		p.f.Since = t
	}
	return nil
}

// until narrows the filter's (exclusive) upper time bound to t.
func (p *parser) until(t time.Time, v value) error {
	if err := p.checkTime(t, v); err != nil {
		return err
	}
	if p.f.Until.IsZero() || t.Before(p.f.Until) {
		p.f.Until = t
	}
	return nil
}

// ms is a duration in milliseconds: whole plus a fraction of frac
// nanoseconds, 0 ≤ frac < 1e6.
type ms struct {
	whole int64
	frac  int64
}

func (m ms) ceil() int64 {
	if m.frac > 0 {
		return m.whole + 1
	}
	return m.whole
}

// durationTerm applies duration:<v> to the filter.
func (p *parser) durationTerm(key string, v value) error {
	op, rest := splitOp(v.s)
	if op != "" {
		if rest == "" {
			return p.errAt(v.at(len(op)), "expected a duration after %q", key+":"+op)
		}
		d, err := p.durationValue(rest, v.at(len(op)))
		if err != nil {
			return err
		}
		switch op {
		case ">":
			if d.whole == math.MaxInt64 {
				return p.errAt(v.at(len(op)), "duration out of range")
			}
			p.minDuration(d.whole + 1)
		case ">=":
			p.minDuration(d.ceil())
		case "<":
			if d.ceil() == math.MinInt64 {
				return p.errAt(v.at(len(op)), "duration out of range")
			}
			p.maxDuration(d.ceil() - 1)
		default: // "<="
			p.maxDuration(d.whole)
		}
		return nil
	}
	if a, b, ok := strings.Cut(v.s, ".."); ok {
		a, b = strings.TrimSpace(a), strings.TrimSpace(b)
		open := func(s string) bool { return s == "" || s == "*" }
		if open(a) && open(b) {
			return p.errAt(v.pos, "expected a duration before or after \"..\"")
		}
		var lo, hi ms
		var err error
		if !open(a) {
			if lo, err = p.durationValue(a, v.pos); err != nil {
				return err
			}
		}
		bpos := v.at(len(v.s) - len(b))
		if !open(b) {
			if hi, err = p.durationValue(b, bpos); err != nil {
				return err
			}
		}
		if !open(a) && !open(b) && lo.ceil() > hi.whole {
			return p.errAt(bpos, "duration range ends before it starts")
		}
		if !open(a) {
			p.minDuration(lo.ceil())
		}
		if !open(b) {
			p.maxDuration(hi.whole)
		}
		return nil
	}
	d, err := p.durationValue(v.s, v.pos)
	if err != nil {
		return err
	}
	if d.frac != 0 {
		return p.errAt(v.pos, "duration %q is not a whole number of milliseconds", v.s)
	}
	p.minDuration(d.whole)
	p.maxDuration(d.whole)
	return nil
}

// durationValue reads a duration: an integer number of milliseconds
// (possibly negative), or a number with a unit (1.5s, 500ms, 2m).
func (p *parser) durationValue(s string, pos int) (ms, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && s[0] != '+' {
		return ms{whole: n}, nil
	}
	unit := s
	if s != "" && (isDigit(s[len(s)-1]) || s[len(s)-1] == '.') {
		unit = s + "ms" // a decimal number of milliseconds
	}
	d, err := audit.ParseDurationArg(unit)
	if err != nil {
		return ms{}, p.errAt(pos, "invalid duration %q: want milliseconds (500) or a number and a unit (1.5s, 500ms, 2m)", s)
	}
	return ms{whole: int64(d / time.Millisecond), frac: int64(d % time.Millisecond)}, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (p *parser) minDuration(n int64) {
	if p.f.MinDuration == nil || n > *p.f.MinDuration {
		p.f.MinDuration = audit.Ms(n)
	}
}

func (p *parser) maxDuration(n int64) {
	if p.f.MaxDuration == nil || n < *p.f.MaxDuration {
		p.f.MaxDuration = audit.Ms(n)
	}
}

// Format renders f in query syntax such that Parse(Format(f)) gives back an
// equivalent filter: time bounds as RFC 3339 in UTC, then each match field
// in audit.MatchFields order, durations, and text terms. Fields outside
// audit.MatchFields in Include or Exclude are left out.
func Format(f audit.Filter) string {
	var parts []string
	if !f.Since.IsZero() {
		parts = append(parts, "time:>="+audit.FormatTime(f.Since))
	}
	if !f.Until.IsZero() {
		parts = append(parts, "time:<"+audit.FormatTime(f.Until))
	}
	for _, fl := range audit.MatchFields {
		if vs := f.Include[fl]; len(vs) > 0 {
			parts = append(parts, string(fl)+":"+formatValues(vs))
		}
		if vs := f.Exclude[fl]; len(vs) > 0 {
			parts = append(parts, "-"+string(fl)+":"+formatValues(vs))
		}
	}
	switch lo, hi := f.MinDuration, f.MaxDuration; {
	case lo != nil && hi != nil && *lo == *hi:
		parts = append(parts, "duration:"+strconv.FormatInt(*lo, 10))
	case lo != nil && hi != nil && *lo < *hi:
		parts = append(parts, "duration:"+strconv.FormatInt(*lo, 10)+".."+strconv.FormatInt(*hi, 10))
	default:
		if lo != nil {
			parts = append(parts, "duration:>="+strconv.FormatInt(*lo, 10))
		}
		if hi != nil {
			parts = append(parts, "duration:<="+strconv.FormatInt(*hi, 10))
		}
	}
	for _, t := range f.Text {
		parts = append(parts, formatText(t))
	}
	for _, t := range f.NotText {
		parts = append(parts, "-"+formatText(t))
	}
	return strings.Join(parts, " ")
}

func formatValues(vs []string) string {
	out := make([]string, len(vs))
	for i, v := range vs {
		if v == "" || strings.ContainsAny(v, `",`) || strings.IndexFunc(v, unicode.IsSpace) >= 0 {
			out[i] = quote(v)
		} else {
			out[i] = v
		}
	}
	return strings.Join(out, ",")
}

func formatText(t string) string {
	if t == "" || t[0] == '-' || t[0] == '"' || strings.ContainsRune(t, ':') || strings.IndexFunc(t, unicode.IsSpace) >= 0 {
		return quote(t)
	}
	return t
}

func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// FormatValue writes one value as a query term's value: bare when it can
// be, else quoted (white space, a comma or a quote in it).
func FormatValue(v string) string { return formatValues([]string{v}) }
