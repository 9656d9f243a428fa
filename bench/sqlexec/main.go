// Command sqlexec runs SQL on a SQLite file with the SQLite auditctl itself
// is built with (modernc.org/sqlite): the sqlite3 shell a system ships may
// be older than the cache's schema (FTS5 contentless_delete needs 3.43).
// Benchmark scripts only (bench/pg-grow.sh).
//
//	go run ./bench/sqlexec FILE 'SQL' ['SQL'…]
//
// Each argument is one statement or a script of several; an argument that
// starts with SELECT (or WITH) is a query whose rows are printed, one a
// line, columns separated by tabs. All run on one connection, in order.
package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"

	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: sqlexec FILE SQL...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "sqlexec:", err)
		os.Exit(1)
	}
}

func run(path string, stmts []string) error {
	if _, err := os.Stat(path); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(15000)")
	if err != nil {
		return err
	}
	defer db.Close()
	ctx := context.Background()
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	for _, s := range stmts {
		head := strings.ToUpper(strings.TrimSpace(s))
		if !strings.HasPrefix(head, "SELECT") && !strings.HasPrefix(head, "WITH") {
			if _, err := c.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("%.60s…: %w", s, err)
			}
			continue
		}
		if err := query(ctx, c, s); err != nil {
			return fmt.Errorf("%.60s…: %w", s, err)
		}
	}
	return nil
}

func query(ctx context.Context, c *sql.Conn, s string) error {
	rows, err := c.QueryContext(ctx, s)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		out := make([]string, len(vals))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			out[i] = fmt.Sprint(v)
		}
		fmt.Println(strings.Join(out, "\t"))
	}
	return rows.Err()
}
