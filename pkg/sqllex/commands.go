package sqllex

import (
	"regexp"
	"strings"
	"sync"
)

// Risk says why a client command escapes what a deny rule can see: it
// reads a file of statements, opens an editor, runs a shell or a program,
// or changes how the client reads statements. It returns "" for a command
// that does none of these (\dt, .tables, \x). cmd is one element of
// Unit.Commands.
func Risk(d Dialect, cmd string) string {
	cmd = strings.TrimSpace(cmd)
	switch d {
	case Postgres:
		return psqlRisk(cmd)
	case SQLite:
		return sqliteRisk(cmd)
	case MySQL:
		return mysqlRisk(cmd)
	}
	return ""
}

// StatementRisk says why a statement escapes deny rules through a function
// of the client itself (sqlite3's edit() opens an editor, readfile() reads
// a file). normal is the statement's normal form.
func StatementRisk(d Dialect, normal string) string {
	if d != SQLite {
		return ""
	}
	if m := sqliteFuncRE().FindStringSubmatch(normal); m != nil {
		switch m[1] {
		case "edit":
			return "edit() opens an editor"
		case "readfile":
			return "readfile() reads a file"
		}
		return "load_extension() loads code"
	}
	return ""
}

var sqliteFuncRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\b(edit|readfile|load_extension)\s*\(`) })

// name splits a command into its name (after the leading \ or .) and its
// arguments.
func name(cmd string, lead byte) (string, string) {
	if cmd == "" || cmd[0] != lead {
		return "", cmd
	}
	rest := cmd[1:]
	j := 0
	for j < len(rest) && (isIdent(rest[j]) && rest[j] != '$') {
		j++
	}
	if j == 0 && len(rest) > 0 {
		j = 1 // \! \? \;
	}
	return rest[:j], strings.TrimSpace(rest[j:])
}

func psqlRisk(cmd string) string {
	if strings.Contains(cmd, "`") {
		return "a backquoted argument runs a shell command"
	}
	n, args := name(cmd, '\\')
	switch n {
	case "i", "ir", "include", "include_relative", "lo_import":
		return `\` + n + " reads a file"
	case "e", "edit", "ef", "ev":
		return `\` + n + " opens an editor"
	case "!":
		return `\! runs a shell`
	case "gexec":
		return `\gexec runs the query's results as statements`
	case "setenv":
		return `\setenv sets the environment of shell commands and the pager`
	case "o", "out", "g", "gx", "w", "write":
		if strings.HasPrefix(args, "|") {
			return `\` + n + " | runs a shell command"
		}
	case "copy":
		if programRE().MatchString(args) {
			return `\copy ... program runs a shell command`
		}
	}
	return ""
}

var programRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?i)\bprogram\b`) })

// sqliteCommands are the sqlite3 dot-commands that escape deny rules; the
// shell takes any prefix of a command's name, so any prefix counts.
var sqliteCommands = map[string]string{
	"read":    ".read reads a file",
	"shell":   ".shell runs a shell",
	"system":  ".system runs a shell",
	"import":  ".import reads a file",
	"load":    ".load loads code",
	"restore": ".restore reads a file",
	"excel":   ".excel opens a program",
	"www":     ".www opens a program",
	"edit":    ".edit opens an editor",
}

func sqliteRisk(cmd string) string {
	n, args := name(cmd, '.')
	if n == "" {
		return ""
	}
	n = strings.ToLower(n)
	for full, why := range sqliteCommands {
		if strings.HasPrefix(full, n) {
			return why
		}
	}
	for _, full := range []string{"output", "once", "log", "trace", "iotrace"} {
		if strings.HasPrefix(full, n) {
			for _, a := range strings.Fields(args) {
				if strings.HasPrefix(a, "|") || strings.HasPrefix(a, "'|") || strings.HasPrefix(a, `"|`) {
					return "." + full + " | runs a shell command"
				}
				if a == "-e" || a == "-x" || a == "--excel" {
					return "." + full + " " + a + " opens a program"
				}
			}
		}
	}
	return ""
}

func mysqlRisk(cmd string) string {
	if strings.HasPrefix(cmd, `\`) {
		n, _ := name(cmd, '\\')
		if len(n) > 1 {
			n = n[:1] // mysql's short commands are one character
		}
		switch n {
		case ".":
			return `\. reads a file`
		case "!":
			return `\! runs a shell`
		case "e":
			return `\e opens an editor`
		case "P":
			return `\P sets a pager program`
		case "d":
			return `\d changes the statement delimiter`
		}
		return ""
	}
	w := strings.ToLower(strings.Fields(cmd + " ")[0])
	switch w {
	case "source":
		return "source reads a file"
	case "system":
		return "system runs a shell"
	case "edit":
		return "edit opens an editor"
	case "pager":
		return "pager sets a pager program"
	case "delimiter":
		return "delimiter changes the statement delimiter"
	}
	return ""
}
