// Package shellword quotes strings as POSIX shell words: the one quoting
// function behind every command line auditctl prints (hints, a session's
// command) so that pasting it runs exactly what it shows.
package shellword

import "strings"

// Quote returns s as one POSIX shell word: unchanged when it is made of
// characters no shell treats specially, else in single quotes.
func Quote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:@%+=,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Join quotes each of args and joins them with spaces.
func Join(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = Quote(a)
	}
	return strings.Join(q, " ")
}
