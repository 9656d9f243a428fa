//go:build !unix

package recorder

import (
	"context"
	"errors"

	"github.com/auditctl/auditctl/pkg/session"
)

var errUnsupported = errors.New("session recording needs a Unix pseudo-terminal: not supported on this platform")

// Record is not supported on this platform.
func Record(ctx context.Context, opt Options) (*Result, error) { return nil, errUnsupported }

// Terminate is not supported on this platform.
func Terminate(ctx context.Context, store session.Store, id, by string) error { return errUnsupported }

// MarkStale is not supported on this platform.
func MarkStale(ctx context.Context, store session.Store) (int, error) { return 0, errUnsupported }
