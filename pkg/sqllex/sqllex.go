// Package sqllex splits the text typed to an interactive SQL client (psql,
// sqlite3, mysql) into the units the client itself acts on: statements,
// complete at a top-level ';' (or a terminator such as psql's \g), and
// client commands (psql's \i, sqlite3's .read, mysql's source), complete at
// the end of their line. It knows each client's quoting: single and double
// quotes with doubling, mysql backticks and backslash escapes, sqlite
// brackets, PostgreSQL dollar quotes ($$ and $tag$), E” strings with
// backslash escapes, nested block comments, and psql's parentheses and
// BEGIN ATOMIC bodies, within which a ';' does not end the statement.
//
// The lexer is incremental: Write takes input in pieces split anywhere, and
// returns the same units as one Write of the whole. Input that does not yet
// end a unit (an open quote, an open comment, a statement without its ';')
// is held (Pending) until it does.
//
// Each unit has a normal form that deny rules match (Normal): comments
// removed, runs of white space collapsed to one space, case folded, outside
// string literals, which are kept as written.
package sqllex

import (
	"path/filepath"
	"strings"
)

// Dialect is the client whose syntax the lexer follows.
type Dialect int

const (
	// Generic is standard SQL: '' and "" quotes with doubling, -- and /* */
	// comments, no client commands.
	Generic Dialect = iota
	// Postgres is psql: E'' strings, dollar quotes, nested comments,
	// parentheses and BEGIN ATOMIC bodies hold a ';', backslash commands
	// anywhere in a line, :variable interpolation.
	Postgres
	// SQLite is the sqlite3 shell: backticks and [brackets] quote
	// identifiers, dot-commands at the start of a line, a line holding only
	// "go" or "/" ends a statement, CREATE TRIGGER bodies hold a ';'.
	SQLite
	// MySQL is the mysql (or mariadb) client: backslash escapes in '' and ""
	// strings, backticks, # comments, "-- " needs the space, /*! */ holds
	// code, \x commands anywhere, long commands (source, system) at the start.
	MySQL
)

func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	case MySQL:
		return "mysql"
	}
	return "generic"
}

// DialectFor picks the dialect of a client command by its program name.
func DialectFor(command string) Dialect {
	base := strings.ToLower(filepath.Base(command))
	switch {
	case base == "psql" || strings.HasPrefix(base, "psql-") || strings.HasPrefix(base, "psql1"):
		return Postgres
	case strings.HasPrefix(base, "sqlite"):
		return SQLite
	case base == "mysql" || base == "mariadb" || strings.HasPrefix(base, "mysql-") || strings.HasPrefix(base, "mariadb-"):
		return MySQL
	}
	return Generic
}

// Kind is what a unit is.
type Kind int

const (
	// Statement is SQL for the server (possibly ended by a client
	// terminator such as \g, or carrying client commands on its last line).
	Statement Kind = iota
	// Command is a client command on a line of its own (\dt, .tables,
	// source f.sql).
	Command
)

// Unit is one complete statement or client command.
type Unit struct {
	Kind Kind
	// Text is the unit exactly as typed, from its first non-blank byte
	// through its ';' (or terminator, or the end of a command's line, not
	// including the line break).
	Text string
	// Normal is the text deny rules match: comments removed, white space
	// runs collapsed to one space, case folded outside string literals.
	Normal string
	// Commands are the client commands in the unit: "\i", "\g", ".read",
	// "source", each followed by its arguments as typed ("\o |cat").
	Commands []string
	// Interpolates is set when a psql statement refers to a variable
	// (:name, :'name', :"name"): what the server receives is not Text.
	Interpolates bool
}

// Lexer splits input into units incrementally. The zero value lexes Generic
// SQL; set Dialect before the first Write.
type Lexer struct {
	Dialect Dialect
	sc      scanner
	ready   bool
}

// Write adds input and returns the units it completes, in order. Lexing
// resumes where the last Write stopped (at the start of the token it could
// not finish), so feeding a long statement in pieces costs about what
// lexing it whole does.
func (l *Lexer) Write(p []byte) []Unit {
	if !l.ready {
		l.sc.init(l.Dialect, nil, true)
		l.ready = true
	}
	sc := &l.sc
	sc.s = append(sc.s, p...)
	var units []Unit
	for sc.i < len(sc.s) {
		if !sc.step() {
			break // the rest is incomplete
		}
		if u := sc.done; u != nil {
			units = append(units, *u)
			sc.resetUnit()
		}
	}
	// Forget what the units took, keeping one byte to look back on.
	if n := sc.start - 1; n > 0 {
		sc.s = append(sc.s[:0], sc.s[n:]...)
		sc.i -= n
		sc.start -= n
		sc.lineBeg = max(sc.lineBeg-n, 0)
	}
	return units
}

// Pending returns the input held: not yet a complete unit.
func (l *Lexer) Pending() string {
	if !l.ready {
		return ""
	}
	return string(l.sc.s[l.sc.start:])
}

// Blank reports whether the held input is nothing but white space and
// complete comments (nothing the client would act on).
func (l *Lexer) Blank() bool {
	return !l.ready || !l.sc.hasTok && l.sc.i == len(l.sc.s)
}

// PendingLen is len(Pending()), without the copy.
func (l *Lexer) PendingLen() int {
	if !l.ready {
		return 0
	}
	return len(l.sc.s) - l.sc.start
}

// Reset drops the held input (an interrupt): what comes next starts a line.
func (l *Lexer) Reset() { l.ready = false }

// Split lexes a whole input: its units, and what is left incomplete.
func Split(d Dialect, s string) ([]Unit, string) {
	l := Lexer{Dialect: d}
	units := l.Write([]byte(s))
	return units, l.Pending()
}

// Normalize returns the normal form of s lexed as one statement: what a
// deny rule written as s is compared with.
func Normalize(d Dialect, s string) string {
	var sc scanner
	b := []byte(s + "\n")
	sc.init(d, b, true)
	for sc.i < len(sc.s) && sc.step() {
	}
	if sc.i < len(b) {
		sc.code(b[sc.i:]) // an open quote or comment: the rest as it is
	}
	return strings.TrimSpace(sc.norm.String())
}

// scanner is one pass over the held input.
type scanner struct {
	d         Dialect
	s         []byte
	i         int
	lineStart bool // i is at the start of a line
	start     int  // where the current unit starts
	norm      strings.Builder
	space     bool // a space is due before the next normal-form text
	hasTok    bool // the current unit holds a token (not only blanks and comments)
	lineTok   bool // hasTok as it was at the start of the current line
	lineBeg   int  // start of the current line
	paren     int
	words     []string // the unit's first words, lowercased
	lastWord  string   // the last token, when it was a word ("" otherwise)
	depth     int      // BEGIN ATOMIC / trigger body depth
	execCmt   bool     // inside a mysql /*! ... */ comment: its content is code
	interp    bool
	cmds      []string
	done      *Unit // set by step when it completes a unit
}

func (sc *scanner) init(d Dialect, s []byte, lineStart bool) {
	*sc = scanner{d: d, s: s, lineStart: lineStart}
}

func (sc *scanner) resetUnit() {
	sc.start = sc.i
	sc.norm.Reset()
	sc.space, sc.hasTok, sc.lineTok = false, false, false
	sc.lineBeg = sc.i
	sc.paren, sc.depth = 0, 0
	sc.words, sc.lastWord = nil, ""
	sc.execCmt, sc.interp = false, false
	sc.cmds = nil
	sc.done = nil
}

// emit adds code (case folded) to the normal form.
func (sc *scanner) code(b []byte) {
	sc.put(strings.ToLower(string(b)))
}

func (sc *scanner) put(s string) {
	if sc.space && sc.norm.Len() > 0 {
		sc.norm.WriteByte(' ')
	}
	sc.space = false
	sc.norm.WriteString(s)
}

func (sc *scanner) complete(end int, kind Kind) {
	text := strings.TrimSpace(string(sc.s[sc.start:end]))
	sc.done = &Unit{Kind: kind, Text: text, Normal: strings.TrimSpace(sc.norm.String()), Commands: sc.cmds, Interpolates: sc.interp}
}

func isIdent(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80 || c == '$'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// eol returns the index of the line break at or after i, -1 when the line
// has not ended yet.
func (sc *scanner) eol(i int) int {
	for j := i; j < len(sc.s); j++ {
		if sc.s[j] == '\n' || sc.s[j] == '\r' {
			return j
		}
	}
	return -1
}

// step lexes one token at sc.i. It returns false when the input ends
// inside a token (or a line a command needs whole): nothing more can be
// decided until more arrives.
func (sc *scanner) step() bool {
	atLine := sc.lineStart
	if !sc.step1() {
		sc.lineStart = atLine // lexed again from the same place next time
		return false
	}
	return true
}

func (sc *scanner) step1() bool {
	s, i, d := sc.s, sc.i, sc.d
	if sc.lineStart {
		sc.lineStart = false
		sc.lineBeg = i
		sc.lineTok = sc.hasTok
		if !sc.hasTok && (d == SQLite || d == MySQL) {
			j := i
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			if j == len(s) || d == MySQL && wordAtEnd(s[j:]) {
				return false // wait for the line's first word
			}
			if (d == SQLite && s[j] == '.') || (d == MySQL && mysqlLineCommand(s[j:])) {
				e := sc.eol(j)
				if e < 0 {
					sc.lineStart = true
					return false
				}
				line := string(s[j:e])
				sc.cmds = append(sc.cmds, strings.TrimSpace(line))
				sc.code([]byte(strings.TrimSpace(line)))
				sc.i = e + 1
				sc.lineStart = true
				sc.complete(e, Command)
				return true
			}
		}
	}
	c := s[i]
	next := byte(0)
	if i+1 < len(s) {
		next = s[i+1]
	}
	switch {
	case isSpace(c):
		sc.space = true
		sc.i++
		if c == '\n' || c == '\r' {
			sc.lineStart = true
			if d == SQLite && sc.lineTok && sc.depth == 0 {
				// A line holding only "go" or "/" ends the statement.
				if w := strings.ToLower(strings.TrimSpace(string(s[sc.lineBeg:i]))); w == "go" || w == "/" {
					sc.complete(i, Statement)
				}
			}
		}
		return true
	case c == '-' && (next == '-' || i+1 == len(s)):
		if i+1 == len(s) {
			return false // "-" or "--": known with the next byte
		}
		if d == MySQL {
			// "--" starts a comment only when a blank or a control follows.
			if i+2 == len(s) {
				return false
			}
			if n2 := s[i+2]; n2 > ' ' {
				sc.code(s[i : i+1])
				sc.hasTok = true
				sc.lastWord = ""
				sc.i++
				return true
			}
		}
		return sc.lineComment()
	case c == '#' && d == MySQL:
		return sc.lineComment()
	case c == '/' && (next == '*' || i+1 == len(s)):
		if i+1 == len(s) {
			return false
		}
		if d == MySQL && i+2 < len(s) && (s[i+2] == '!' || s[i+2] == '+') {
			// /*!50000 DROP TABLE t */ is run by the server: code.
			j := i + 3
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == len(s) {
				return false
			}
			sc.execCmt = true
			sc.space = true
			sc.i = j
			return true
		}
		if d == MySQL && i+2 == len(s) {
			return false
		}
		return sc.blockComment()
	case c == '*' && next == '/' && sc.execCmt:
		sc.execCmt = false
		sc.space = true
		sc.i += 2
		return true
	case c == '*' && i+1 == len(s) && sc.execCmt:
		return false
	case c == '\'':
		esc := d == MySQL
		if d == Postgres && i > 0 && (s[i-1] == 'e' || s[i-1] == 'E') && (i < 2 || !isIdent(s[i-2])) {
			esc = true
		}
		return sc.quoted('\'', '\'', esc, true)
	case c == '"':
		if d == MySQL {
			return sc.quoted('"', '"', true, true)
		}
		return sc.quoted('"', '"', false, false)
	case c == '`' && (d == MySQL || d == SQLite):
		return sc.quoted('`', '`', false, false)
	case c == '[' && d == SQLite:
		return sc.quoted('[', ']', false, false)
	case c == '$' && d == Postgres && (i == 0 || !isIdent(s[i-1])):
		return sc.dollar()
	case c == '\\' && (d == Postgres || d == MySQL):
		return sc.backslash()
	case c == ':' && d == Postgres:
		if i+1 == len(s) {
			return false
		}
		if next == ':' {
			sc.code(s[i : i+2])
			sc.i += 2
		} else {
			if (i == 0 || s[i-1] != ':') && (isIdent(next) && next != '$' || next == '\'' || next == '"' || next == '{') {
				sc.interp = true
			}
			sc.code(s[i : i+1])
			sc.i++
		}
		sc.hasTok = true
		sc.lastWord = ""
		return true
	case c == ';':
		sc.code(s[i : i+1])
		sc.i++
		sc.hasTok = true
		if sc.paren > 0 && d == Postgres || sc.depth > 0 {
			sc.lastWord = ""
			return true
		}
		if d == SQLite && sc.trigger() && sc.lastWord != "end" {
			sc.lastWord = ""
			return true
		}
		sc.complete(sc.i, Statement)
		return true
	case isIdent(c) && c != '$':
		j := i
		for j < len(s) && isIdent(s[j]) {
			j++
		}
		if j == len(s) {
			return false // the word may go on
		}
		w := strings.ToLower(string(s[i:j]))
		sc.word(w)
		sc.put(w)
		sc.hasTok = true
		sc.i = j
		return true
	}
	switch c {
	case '(':
		sc.paren++
	case ')':
		if sc.paren > 0 {
			sc.paren--
		}
	}
	sc.code(s[i : i+1])
	sc.hasTok = true
	sc.lastWord = ""
	sc.i++
	return true
}

// word tracks the words that decide whether a ';' ends the statement:
// psql's CREATE FUNCTION ... BEGIN ATOMIC ... END and sqlite3's CREATE
// TRIGGER ... BEGIN ... END.
func (sc *scanner) word(w string) {
	sc.lastWord = w
	if len(sc.words) < 4 {
		sc.words = append(sc.words, w)
	}
	if sc.d != Postgres || !sc.routine() {
		return
	}
	switch w {
	case "begin":
		sc.depth++
	case "case":
		if sc.depth > 0 {
			sc.depth++
		}
	case "end":
		if sc.depth > 0 {
			sc.depth--
		}
	}
}

// routine: the statement is CREATE [OR REPLACE] FUNCTION|PROCEDURE.
func (sc *scanner) routine() bool {
	w := sc.words
	if len(w) < 2 || w[0] != "create" {
		return false
	}
	if w[1] == "function" || w[1] == "procedure" {
		return true
	}
	return len(w) >= 4 && w[1] == "or" && w[2] == "replace" && (w[3] == "function" || w[3] == "procedure")
}

// trigger: the statement is CREATE [TEMP|TEMPORARY] TRIGGER.
func (sc *scanner) trigger() bool {
	w := sc.words
	if len(w) < 2 || w[0] != "create" {
		return false
	}
	return w[1] == "trigger" || len(w) >= 3 && (w[1] == "temp" || w[1] == "temporary") && w[2] == "trigger"
}

func (sc *scanner) lineComment() bool {
	e := sc.eol(sc.i)
	if e < 0 {
		return false
	}
	sc.space = true
	sc.i = e
	return true
}

func (sc *scanner) blockComment() bool {
	s := sc.s
	nest := sc.d == Postgres
	depth := 0
	for j := sc.i; j+1 < len(s); j++ {
		switch {
		case s[j] == '/' && s[j+1] == '*' && (nest || depth == 0):
			depth++
			j++
		case s[j] == '*' && s[j+1] == '/':
			depth--
			j++
			if depth == 0 {
				sc.space = true
				sc.i = j + 1
				return true
			}
		}
	}
	return false
}

// quoted lexes a quoted token from open to close (a doubled close is part
// of it; with esc a backslash escapes the next byte). A literal is kept in
// the normal form as written; an identifier is unquoted and case folded.
func (sc *scanner) quoted(open, close byte, esc, literal bool) bool {
	s := sc.s
	for j := sc.i + 1; j < len(s); j++ {
		switch {
		case esc && s[j] == '\\':
			j++
		case s[j] == close:
			if open == close && j+1 < len(s) && s[j+1] == close {
				j++
				continue
			}
			if open == close && j+1 == len(s) {
				return false // doubled or not: known with the next byte
			}
			if literal {
				sc.put(string(s[sc.i : j+1]))
			} else {
				sc.put(strings.ToLower(string(s[sc.i+1 : j])))
			}
			sc.hasTok = true
			sc.lastWord = ""
			sc.i = j + 1
			return true
		}
	}
	return false
}

// dollar lexes $tag$...$tag$ ($1 and a lone $ are code).
func (sc *scanner) dollar() bool {
	s := sc.s
	j := sc.i + 1
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 0x80 || j > sc.i+1 && s[j] >= '0' && s[j] <= '9') {
		j++
	}
	if j == len(s) {
		return false
	}
	if s[j] != '$' {
		sc.code(s[sc.i : sc.i+1])
		sc.hasTok = true
		sc.lastWord = ""
		sc.i++
		return true
	}
	tag := string(s[sc.i : j+1])
	k := strings.Index(string(s[j+1:]), tag)
	if k < 0 {
		return false
	}
	end := j + 1 + k + len(tag)
	sc.put(string(s[sc.i:end]))
	sc.hasTok = true
	sc.lastWord = ""
	sc.i = end
	return true
}

// backslash lexes a psql or mysql backslash command. It runs to the end of
// its line: a line holding one is complete only when it has ended.
func (sc *scanner) backslash() bool {
	s, i := sc.s, sc.i
	if sc.d == MySQL {
		if i+1 == len(s) {
			return false
		}
		if n := s[i+1]; n == 'g' || n == 'G' {
			// \g and \G end the statement; the line goes on.
			sc.cmds = append(sc.cmds, string(s[i:i+2]))
			sc.put(string(s[i : i+2]))
			sc.i += 2
			sc.complete(sc.i, Statement)
			return true
		}
	}
	e := sc.eol(i)
	if e < 0 {
		return false
	}
	if sc.d == Postgres {
		if k := separator(s[i:e]); k >= 0 {
			// "\x \\ SELECT ...": after the \\ separator the line goes on as
			// SQL, into the same statement.
			meta := string(s[i : i+k])
			sc.cmds = append(sc.cmds, splitCommands(meta)...)
			sc.code([]byte(strings.TrimSpace(meta)))
			sc.space = true
			sc.hasTok = true
			sc.lastWord = ""
			sc.i = i + k + 2
			return true
		}
	}
	line := string(s[i:e])
	sc.cmds = append(sc.cmds, splitCommands(line)...)
	sc.code([]byte(strings.TrimSpace(line)))
	kind := Command
	if sc.hasTok {
		kind = Statement
	}
	sc.i = e + 1
	sc.lineStart = true
	sc.complete(e, kind)
	return true
}

// separator returns where psql's "\\\\" separator is in a line of backslash
// commands (outside quoted arguments), -1 when there is none.
func separator(line []byte) int {
	var q byte
	for j := 0; j < len(line); j++ {
		c := line[j]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"' || c == '`':
			q = c
		case c == '\\' && j+1 < len(line) && line[j+1] == '\\':
			return j
		case c == '\\' && j+1 < len(line):
			j++ // \x: the command's name, not a separator
		}
	}
	return -1
}

// splitCommands splits a psql line of backslash commands ("\x \dt t*")
// into its commands with their arguments. Quoted arguments ('...', "...",
// `...`) are kept whole.
func splitCommands(line string) []string {
	var out []string
	start := 0
	var q byte
	for j := 0; j < len(line); j++ {
		c := line[j]
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '\'' || c == '"' || c == '`':
			q = c
		case c == '\\' && j > start:
			if cmd := strings.TrimSpace(line[start:j]); cmd != "" {
				out = append(out, cmd)
			}
			start = j
			if j+1 < len(line) && line[j+1] == '\\' {
				j++ // "\\" separates commands
				start = j + 1
			}
		}
	}
	if cmd := strings.TrimSpace(line[start:]); cmd != "" && cmd != `\` {
		out = append(out, cmd)
	}
	return out
}

// mysqlCommands are the mysql client's long commands, recognized at the
// start of a line.
var mysqlCommands = []string{
	"?", "charset", "clear", "connect", "delimiter", "edit", "ego", "exit", "go", "help", "nopager",
	"notee", "nowarning", "pager", "print", "prompt", "query_attributes", "quit", "rehash",
	"resetconnection", "source", "ssl_session_data_print", "status", "system", "tee", "use", "warnings",
}

// wordAtEnd: the line's first word may go on in the next input.
func wordAtEnd(b []byte) bool {
	for _, c := range b {
		if isSpace(c) || c == ';' {
			return false
		}
	}
	return true
}

func mysqlLineCommand(b []byte) bool {
	j := 0
	for j < len(b) && !isSpace(b[j]) && b[j] != ';' {
		j++
	}
	w := strings.ToLower(string(b[:j]))
	for _, c := range mysqlCommands {
		if w == c {
			return true
		}
	}
	return false
}

// Folded is s with comment markers (/*, */, --, #) made spaces, runs of
// white space collapsed to one space and case folded, comments and all.
// Matched besides the normal form, it keeps what a comment holds in view:
// were the lexer ever to read as a comment what the client reads as code
// (a server with standard_conforming_strings off reads 'a\' /* ' as one
// string), a rule still sees the words.
func Folded(s string) string {
	s = strings.NewReplacer("/*", " ", "*/", " ", "--", " ", "#", " ").Replace(s)
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

// Blank reports whether s holds nothing but white space and complete
// comments: nothing the client would act on.
func Blank(d Dialect, s string) bool { return Normalize(d, s) == "" }
