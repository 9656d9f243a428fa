package retention

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/auditctl/auditctl/pkg/atomicfile"
	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/session"
)

// archiveSource is what the archive reads events from: the cache, or a
// PostgreSQL store.
type archiveSource interface {
	CountEvents(ctx context.Context, f audit.Filter) (int64, error)
	EachEvent(ctx context.Context, f audit.Filter, p audit.Page, fn func(*audit.Event) error) error
}

// Compressions are the values of --compress.
var Compressions = []string{"gzip", "zstd"}

// compressor wraps w in the chosen compression; ext is the file suffix.
func compressor(name string) (wrap func(io.Writer) (io.WriteCloser, error), ext string, err error) {
	switch name {
	case "", "gzip":
		return func(w io.Writer) (io.WriteCloser, error) { return gzip.NewWriterLevel(w, gzip.DefaultCompression) }, ".gz", nil
	case "zstd":
		return func(w io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(w) }, ".zst", nil
	}
	return nil, "", audit.Errorf(audit.EUSAGE, "--compress %q: want gzip or zstd", name)
}

// archiveAttempts bounds how often the events archive is written again
// when events older than the cutoff arrive while it is written.
const archiveAttempts = 3

// writeArchive writes the events before logsBefore and the sessions
// expired (metadata and recordings) into opts.ArchiveDir, each file
// complete, synced and renamed into place, and the directory synced, before
// it returns.
func writeArchive(ctx context.Context, db archiveSource, opts Options, logsBefore time.Time, expired []*session.Session) (*ArchiveReport, error) {
	wrap, ext, err := compressor(opts.Compression)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.ArchiveDir, 0o700); err != nil {
		return nil, audit.Errorf(audit.ELOCAL, "archive directory: %v", err)
	}
	removeAbandoned(opts.ArchiveDir, time.Now())
	stamp := opts.Now.UTC().Format("20060102T150405Z")
	a := &ArchiveReport{}
	filter := audit.Filter{Until: logsBefore}
	want, err := db.CountEvents(ctx, filter)
	if err != nil {
		return nil, err
	}
	if want > 0 {
		a.Events = freeName(opts.ArchiveDir, "auditctl-events-"+stamp, ".ndjson"+ext)
		for attempt := 1; ; attempt++ {
			a.EventCount = 0
			err := atomicfile.Write(a.Events, 0o600, func(w io.Writer) error {
				zw, err := wrap(w)
				if err != nil {
					return err
				}
				// The very writer of `logs export -o ndjson`: the archive
				// imports back with `auditctl import`.
				ew, err := output.NewEventWriter(zw, output.FormatNDJSON, output.Options{})
				if err != nil {
					return err
				}
				err = db.EachEvent(ctx, filter, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}, func(e *audit.Event) error {
					a.EventCount++
					return ew.Write(e)
				})
				if err == nil {
					err = ew.Close()
				}
				if cerr := zw.Close(); err == nil {
					err = cerr
				}
				return err
			})
			if err != nil {
				return nil, archiveErr(a.Events, err)
			}
			// An import of old events meanwhile would be deleted without
			// being archived: count again, and write again if it moved.
			now, err := db.CountEvents(ctx, filter)
			if err != nil {
				return nil, err
			}
			if now == a.EventCount {
				break
			}
			if attempt == archiveAttempts {
				return nil, audit.Errorf(audit.ELOCAL, "events older than %s keep arriving while they are archived (%d archived, %d now): nothing was deleted; try again when imports are done",
					audit.FormatTime(logsBefore), a.EventCount, now)
			}
		}
	}
	if len(expired) > 0 {
		a.Sessions = freeName(opts.ArchiveDir, "auditctl-sessions-"+stamp, ".tar"+ext)
		err := atomicfile.Write(a.Sessions, 0o600, func(w io.Writer) error {
			zw, err := wrap(w)
			if err != nil {
				return err
			}
			n, err := writeSessionsTar(ctx, zw, expired)
			a.RecordingCount = n
			if cerr := zw.Close(); err == nil {
				err = cerr
			}
			return err
		})
		if err != nil {
			return nil, archiveErr(a.Sessions, err)
		}
		a.SessionCount = len(expired)
	}
	if err := syncDir(opts.ArchiveDir); err != nil {
		return nil, archiveErr(opts.ArchiveDir, err)
	}
	return a, nil
}

func archiveErr(path string, err error) error {
	if audit.ErrorCode(err) != "" && audit.ErrorCode(err) != audit.EINTERNAL {
		return err
	}
	return audit.Errorf(audit.ELOCAL, "archive %s: %v (nothing was deleted)", path, err)
}

// abandonedAfter is how long a temporary archive file must have gone
// unwritten before it counts as left by a run that was killed: a live run
// writes to its file all the time.
const abandonedAfter = 10 * time.Minute

// removeAbandoned deletes the temporary archive files (atomicfile's
// ".NAME.tmp-*") that killed runs left in dir: only auditctl's own names,
// only regular files, only those unmodified for abandonedAfter.
func removeAbandoned(dir string, now time.Time) {
	for _, pat := range []string{".auditctl-events-*.tmp-*", ".auditctl-sessions-*.tmp-*"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range matches {
			if st, err := os.Lstat(m); err == nil && st.Mode().IsRegular() && now.Sub(st.ModTime()) > abandonedAfter {
				_ = os.Remove(m)
			}
		}
	}
}

// freeName returns dir/base+ext, or dir/base-N+ext when that exists.
func freeName(dir, base, ext string) string {
	p := filepath.Join(dir, base+ext)
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
		p = filepath.Join(dir, fmt.Sprintf("%s-%d%s", base, i, ext))
	}
}

// ArchivedSession is one line of sessions.ndjson in the sessions archive:
// the session's row, and the member that holds its recording ("" when it
// had none or the file was missing).
type ArchivedSession struct {
	Session   *session.Session `json:"session"`
	Recording string           `json:"recording,omitempty"`
	Missing   bool             `json:"recording_missing,omitempty"`
}

// writeSessionsTar writes a tar of the sessions' metadata
// (sessions.ndjson, first) and their recordings
// (recordings/<session id>/<file name>); it returns how many recordings.
func writeSessionsTar(ctx context.Context, w io.Writer, sessions []*session.Session) (int, error) {
	tw := tar.NewWriter(w)
	type file struct {
		path, member string
		size         int64
		mod          time.Time
	}
	var files []file
	var meta bytes.Buffer
	enc := json.NewEncoder(&meta)
	for _, s := range sessions {
		rec := ArchivedSession{Session: s}
		if s.RecordingPath != "" {
			if st, err := os.Stat(s.RecordingPath); err == nil && st.Mode().IsRegular() {
				rec.Recording = "recordings/" + url.PathEscape(s.ID) + "/" + url.PathEscape(filepath.Base(s.RecordingPath))
				files = append(files, file{s.RecordingPath, rec.Recording, st.Size(), st.ModTime()})
			} else {
				rec.Missing = true
			}
		}
		if err := enc.Encode(rec); err != nil {
			return 0, err
		}
	}
	now := time.Now()
	if err := tw.WriteHeader(&tar.Header{Name: "sessions.ndjson", Mode: 0o600, Size: int64(meta.Len()), ModTime: now, Format: tar.FormatPAX}); err != nil {
		return 0, err
	}
	if _, err := tw.Write(meta.Bytes()); err != nil {
		return 0, err
	}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if err := copyMember(tw, f.path, f.member, f.size, f.mod); err != nil {
			return 0, err
		}
	}
	return len(files), tw.Close()
}

func copyMember(tw *tar.Writer, path, member string, size int64, mod time.Time) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("recording %s: %w", path, err)
	}
	defer f.Close()
	if err := tw.WriteHeader(&tar.Header{Name: member, Mode: 0o600, Size: size, ModTime: mod, Format: tar.FormatPAX}); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, f, size); err != nil {
		return fmt.Errorf("recording %s: %w", path, err)
	}
	return nil
}

// syncDir makes the renames into dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
