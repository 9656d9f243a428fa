//go:build unix

package recorder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/recording"
	"github.com/auditctl/auditctl/pkg/session"
	"github.com/auditctl/auditctl/pkg/sqllex"
)

// drainTimeout bounds how long output is still read after COMMAND exited
// (a background process may keep the terminal open and keep writing).
const drainTimeout = 500 * time.Millisecond

// Record runs opt.Command in a pseudo-terminal and records the session
// (see the package doc and docs/recorder.md). It returns when COMMAND has
// exited; a canceled ctx, SIGTERM or SIGHUP terminate the session: COMMAND
// gets SIGHUP, then SIGKILL after opt.Grace. The user's terminal is
// restored on every way out.
func Record(ctx context.Context, opt Options) (res *Result, err error) {
	if len(opt.Command) == 0 || opt.Command[0] == "" {
		return nil, errors.New("record: no command")
	}
	if strings.TrimSpace(opt.Session.ID) == "" {
		return nil, errors.New("record: no session id")
	}
	if err := session.CheckID(opt.Session.ID); err != nil {
		return nil, audit.Errorf(audit.EUSAGE, "record: %w", err)
	}
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	if opt.Grace <= 0 {
		opt.Grace = 2 * time.Second
	}
	bin, err := exec.LookPath(opt.Command[0])
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}

	// The recording file, and the lock that says its recorder is alive.
	path := opt.Output
	if path == "" {
		if opt.Dir == "" {
			return nil, errors.New("record: no recordings directory")
		}
		if err := os.MkdirAll(opt.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("record: recordings directory: %w", err)
		}
		path = filepath.Join(opt.Dir, opt.Session.ID+".rec")
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	r := &rec{opt: opt, path: path}
	if r.lock, err = acquireLock(lockPath(path), os.Getpid(), opt.Session.ID); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer func() {
		os.Remove(terminatePath(path))
		removeControl(r.lock)
		r.lock.Close()
	}()
	if r.file, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	defer func() {
		if r.file != nil {
			r.file.Close()
		}
	}()

	// The terminal.
	cols, rows := opt.Cols, opt.Rows
	if f, ok := opt.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.ttyFD = int(f.Fd())
		r.tty = true
		if c, rw, err := term.GetSize(r.ttyFD); err == nil && c > 0 && rw > 0 {
			cols, rows = c, rw
		}
	}
	if cols <= 0 || rows <= 0 {
		cols, rows = 80, 24
	}
	r.cols, r.rows = cols, rows

	env := opt.Env
	if env == nil {
		env = os.Environ()
	}
	env = append(env[:len(env):len(env)], EnvSessionID+"="+opt.Session.ID)
	if len(opt.Block) > 0 {
		// A pager is a way out of the deny rules (less runs "!sh"): the
		// client's output goes to the terminal as it is. The line
		// editor's and psql's startup files are too (an inputrc macro
		// turns "q" into "DROP TABLE ", a psqlrc runs statements).
		env = append(env, "PAGER=cat", "PSQL_PAGER=cat", "INPUTRC=/dev/null", "EDITRC=/dev/null", "PSQLRC=/dev/null")
	}
	termType := lookupEnv(env, "TERM")
	if termType == "" {
		termType = "xterm-256color"
		env = append(env, "TERM="+termType)
	}

	// The session row and the header.
	s := opt.Session
	r.start = time.Now()
	s.Start = r.start
	s.Status = session.StatusActive
	s.HasRecording = true
	s.RecordingPath = path
	s.RecorderPID = os.Getpid()
	s.Command = shellJoin(opt.Command)
	s.End, s.Duration, s.RecordingSHA256, s.TerminatedBy = time.Time{}, 0, "", ""
	meta, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("record: session metadata: %w", err)
	}
	hdrEnv := map[string]string{"TERM": termType}
	if sh := lookupEnv(env, "SHELL"); sh != "" {
		hdrEnv["SHELL"] = sh
	}
	r.hash = sha256.New()
	r.w, err = recording.NewWriter(io.MultiWriter(r.file, r.hash), recording.Header{
		Width: cols, Height: rows, Timestamp: r.start, Command: s.Command,
		Env: hdrEnv, Term: map[string]any{"type": termType}, Audit: meta,
	}, recording.WriterOptions{Version: 3, FlushEvery: true})
	if err != nil {
		return nil, fmt.Errorf("record: %s: %w", path, err)
	}
	if opt.Store != nil {
		row := s
		if err := opt.Store.CreateSession(ctx, &row); err != nil {
			// No session, no recording: nothing half made is left.
			r.file.Close()
			r.file = nil
			os.Remove(path)
			return nil, fmt.Errorf("record: register session: %w", err)
		}
	}
	r.session = s
	r.env = env
	if opt.CaptureQueries || len(opt.Block) > 0 || s.Category == session.CategoryDatabase {
		d := sqllex.DialectFor(opt.Command[0])
		r.queries = newQueryTracker(d)
		if len(opt.Block) > 0 {
			r.gate = newGate(opt.Block, opt.AllowMeta, d, r.queries, r.tty, cols)
			r.gate.asciiOnly = !utf8Locale(env)
			r.sendq = newSender()
		}
	}
	if opt.Started != nil {
		opt.Started(path)
	}

	// From here on the session is registered: whatever happens, it ends.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("record: internal error: %v\n%s", p, debug.Stack())
		}
		if err != nil && res == nil {
			r.finishWithError(err)
		}
	}()
	if r.tty {
		old, err := term.MakeRaw(r.ttyFD)
		if err != nil {
			return nil, fmt.Errorf("record: terminal raw mode: %w", err)
		}
		defer term.Restore(r.ttyFD, old)
	}
	return r.run(ctx, bin)
}

// rec is one recording in progress.
type rec struct {
	opt   Options
	path  string
	lock  *os.File
	file  *os.File
	hash  hash.Hash
	start time.Time

	tty        bool
	ttyFD      int
	cols, rows int

	mu      sync.Mutex // the writer, the tracker, the gate, the counters
	w       *recording.Writer
	werr    error
	queries *queryTracker
	nq      int
	nblock  int
	// With deny rules: the gate owns the input line, and what it lets
	// through is written to COMMAND by the sender, in the order decided.
	gate       *gate
	gateBroken bool
	sendq      *sender
	// outMu orders the writes to the user's terminal as the events are
	// recorded (taken before mu is released).
	outMu sync.Mutex

	session  session.Session
	env      []string
	ptmx     *os.File // COMMAND's terminal, master side
	pollable bool     // ptmx is non-blocking, in Go's poller
}

func (r *rec) now() time.Duration { return time.Since(r.start) }

// event writes one event; the first write error is kept and reported at the
// end (the session goes on: the user's work is not cut by a full disk).
func (r *rec) event(ev recording.Event) {
	if r.werr != nil {
		return
	}
	if ev.Code == "q" {
		r.nq++
		if q, err := recording.DecodeQuery(ev.Data); err == nil && isBlocked(q.Message) {
			r.nblock++
		}
	}
	if err := r.w.WriteEvent(ev); err != nil {
		r.werr = err
	}
}

func (r *rec) events(evs []recording.Event) {
	for _, ev := range evs {
		r.event(ev)
	}
}

func (r *rec) run(ctx context.Context, bin string) (*Result, error) {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT, syscall.SIGWINCH)
	defer signal.Stop(sigs)

	cmd := exec.Command(bin, r.opt.Command[1:]...)
	cmd.Args[0] = r.opt.Command[0]
	cmd.Env = r.env
	ptmx, err := pty.StartWithAttrs(cmd, &pty.Winsize{Cols: uint16(r.cols), Rows: uint16(r.rows)},
		&syscall.SysProcAttr{Setsid: true, Setctty: true})
	if err != nil {
		return nil, fmt.Errorf("record: start %s: %w", r.opt.Command[0], err)
	}
	r.ptmx, r.pollable = pollable(ptmx)
	defer r.ptmx.Close()
	if r.gate != nil {
		r.gate.term = r.clientMode
	}
	if r.sendq != nil {
		go r.sendq.run(r.ptmx)
		defer r.sendq.close()
	}

	waitDone := make(chan error, 1)
	go func() { waitDone <- cmd.Wait() }()
	outDone := make(chan error, 1)
	go func() { outDone <- r.copyOutput() }()
	in := r.startInput()

	var (
		terminated bool
		by         string
		killTimer  <-chan time.Time
		waitErr    error
	)
	terminate := func(reason string) {
		if terminated {
			return
		}
		terminated = true
		by = readTerminateRequest(terminatePath(r.path))
		if by == "" {
			by = reason
		}
		pid := cmd.Process.Pid
		_ = syscall.Kill(-pid, syscall.SIGHUP)
		_ = syscall.Kill(pid, syscall.SIGHUP)
		_ = syscall.Kill(-pid, syscall.SIGCONT)
		killTimer = time.After(r.opt.Grace)
	}
	ctxDone := ctx.Done()
loop:
	for {
		select {
		case waitErr = <-waitDone:
			break loop
		case sig := <-sigs:
			switch sig {
			case syscall.SIGWINCH:
				r.resize()
			case syscall.SIGTERM:
				terminate("signal SIGTERM")
			case syscall.SIGHUP:
				terminate("signal SIGHUP")
			case syscall.SIGINT:
				terminate("signal SIGINT")
			}
		case <-ctxDone:
			ctxDone = nil
			terminate("canceled: " + context.Cause(ctx).Error())
		case <-killTimer:
			killTimer = nil
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		}
	}

	// COMMAND exited: read what it left in the terminal, stop the input.
	_ = r.ptmx.SetReadDeadline(time.Now().Add(drainTimeout))
	outErr := <-outDone
	in.stop()
	_ = r.ptmx.Close()
	in.wait()

	code := exitCode(cmd, waitErr)
	end := time.Now()
	r.mu.Lock()
	t := end.Sub(r.start)
	if r.gate != nil {
		r.events(r.gateClose(t))
	} else if r.queries != nil {
		r.events(r.trackClose(t))
	}
	r.event(recording.Event{Time: t, Code: "x", Data: strconv.Itoa(code)})
	werr := r.werr
	if err := r.w.Close(); err != nil && werr == nil {
		werr = err
	}
	nq, nb := r.nq, r.nblock
	r.mu.Unlock()
	if err := r.file.Sync(); err != nil && werr == nil {
		werr = err
	}
	if err := r.file.Close(); err != nil && werr == nil {
		werr = err
	}
	r.file = nil

	s := r.session
	s.End = end
	s.Duration = end.Sub(r.start)
	s.RecordingSHA256 = hex.EncodeToString(r.hash.Sum(nil))
	s.RecorderPID = 0
	s.Status = session.StatusCompleted
	if terminated {
		s.Status = session.StatusTerminated
		s.TerminatedBy = by
	}
	res := &Result{Session: s, Path: r.path, ExitCode: code, Terminated: terminated, Queries: nq, Blocked: nb}
	if r.opt.Store != nil {
		// The row is updated even when ctx was canceled (a terminated
		// session must not stay active).
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		err := r.opt.Store.UpdateSession(uctx, &s)
		cancel()
		if err != nil {
			return res, fmt.Errorf("record: update session %s: %w", s.ID, err)
		}
	}
	switch {
	case werr != nil:
		return res, fmt.Errorf("record: write %s: %w", r.path, werr)
	case outErr != nil:
		return res, fmt.Errorf("record: read terminal output: %w", outErr)
	}
	return res, nil
}

// finishWithError closes a session whose recording failed before the end.
func (r *rec) finishWithError(cause error) {
	if r.opt.Store == nil || r.session.ID == "" {
		return
	}
	s := r.session
	s.Status = session.StatusTerminated
	s.End = time.Now()
	s.Duration = s.End.Sub(s.Start)
	s.RecorderPID = 0
	s.TerminatedBy = "recorder error: " + cause.Error()
	if len(s.TerminatedBy) > 200 {
		s.TerminatedBy = s.TerminatedBy[:200]
	}
	if r.file != nil {
		r.mu.Lock()
		_ = r.w.Close()
		r.mu.Unlock()
		s.RecordingSHA256 = hex.EncodeToString(r.hash.Sum(nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = r.opt.Store.UpdateSession(ctx, &s)
}

// pollable returns COMMAND's terminal as a non-blocking file in Go's
// poller, so that copyOutput can tell "nothing more to read now" from
// "more is waiting" and read deadlines work; ptmx is closed. Where the
// poller does not take it, ptmx is returned as it is, blocking.
func pollable(ptmx *os.File) (*os.File, bool) {
	fd, err := unix.FcntlInt(ptmx.Fd(), unix.F_DUPFD_CLOEXEC, 0) // close-on-exec from the start
	if err != nil {
		return ptmx, false
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return ptmx, false
	}
	f := os.NewFile(uintptr(fd), ptmx.Name())
	if f.SetReadDeadline(time.Time{}) != nil { // not in the poller
		f.Close() // O_NONBLOCK is shared: put it back for ptmx
		_ = syscall.SetNonblock(int(ptmx.Fd()), false)
		return ptmx, false
	}
	ptmx.Close()
	return f, true
}

// maxBatch bounds the output read before it is recorded and shown. Small
// batches keep the user's terminal fed evenly; 16 KiB did best into both
// terminals of bench/recorder.sh (8 and 64 KiB were slower).
const maxBatch = 16 << 10

// copyOutput copies COMMAND's output to the recording and to the user
// until the terminal closes (EIO) or the drain deadline passes.
//
// The terminal is read for as long as output is waiting, up to maxBatch;
// what was read is then recorded as one event (timed at its first read)
// and shown. A pseudo-terminal hands over at most a few KiB per read, so
// this makes one event, one write to the recording and one write to the
// user's terminal of what would be dozens, which is what keeps the
// recorder close to a bare relay (docs/recorder.md). Interactive output is
// not delayed: the batch ends as soon as nothing more is waiting.
//
// Output is recorded before it is shown: the user cannot react (type) to
// output that the query tracker has not seen or the recording lacks.
func (r *rec) copyOutput() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("internal error: %v", p)
		}
	}()
	buf := make([]byte, 0, 2*maxBatch)
	var t0 time.Duration
	stdoutOK := true
	flush := func() {
		if len(buf) == 0 {
			return
		}
		r.mu.Lock()
		if r.gate != nil {
			r.flushGated(t0, buf, &stdoutOK)
			buf = buf[:0]
			return
		}
		// A view of buf, not a copy: WriteEvent keeps nothing of it, and
		// buf is not touched until the event is written.
		r.event(recording.Event{Time: t0, Code: "o", Data: unsafe.String(&buf[0], len(buf))})
		if r.queries != nil {
			r.events(r.trackOutput(t0, buf))
		}
		r.mu.Unlock()
		if stdoutOK {
			if _, err := r.opt.Stdout.Write(buf); err != nil {
				stdoutOK = false // the user's terminal is gone; keep recording
			}
		}
		buf = buf[:0]
	}
	// read reads once into buf; false at the end of the output.
	var rerr error
	read := func(fd int) (more bool) {
		n, err := syscall.Read(fd, buf[len(buf):cap(buf)])
		if n > 0 {
			if len(buf) == 0 {
				t0 = r.now()
			}
			buf = buf[:len(buf)+n]
			return true
		}
		switch {
		case err == syscall.EINTR:
			return true
		case err == nil:
			rerr = io.EOF
		default:
			rerr = err
		}
		return false
	}
	rc, err := r.ptmx.SyscallConn()
	if err != nil {
		return err
	}
	for rerr == nil {
		var cerr error
		if r.pollable {
			// Out of the callback with each full batch, so that the drain
			// deadline holds even against output that never stops.
			cerr = rc.Read(func(fd uintptr) bool {
				for len(buf) < maxBatch && read(int(fd)) {
				}
				waiting := rerr == syscall.EAGAIN // nothing more: wait for it
				if waiting {
					rerr = nil
				}
				flush()
				return !waiting
			})
		} else {
			// Blocking: one read is all that can be taken without waiting.
			cerr = rc.Control(func(fd uintptr) {
				read(int(fd))
				flush()
			})
		}
		if cerr != nil && rerr == nil {
			rerr = cerr
		}
	}
	if errors.Is(rerr, syscall.EIO) || errors.Is(rerr, io.EOF) || errors.Is(rerr, os.ErrDeadlineExceeded) ||
		errors.Is(rerr, os.ErrClosed) {
		return nil
	}
	return rerr
}

// input is the goroutine copying the user's input.
type input struct {
	cancel func()
	done   chan struct{}
}

func (in *input) stop() { in.cancel() }
func (in *input) wait() { <-in.done }

func (r *rec) startInput() *input {
	in := &input{cancel: func() {}, done: make(chan struct{})}
	if r.opt.Stdin == nil {
		close(in.done)
		return in
	}
	src := r.opt.Stdin
	var fr *fdReader
	if f, ok := src.(*os.File); ok {
		if rd, err := newFDReader(int(f.Fd())); err == nil {
			fr = rd
			src = rd
			in.cancel = rd.Cancel
		}
	}
	if fr == nil {
		// A reader that cannot be interrupted: its goroutine ends with its
		// next Read; the session does not wait for it.
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.copyInput(src)
		}()
		close(in.done)
		return in
	}
	go func() {
		defer close(in.done)
		defer fr.Close()
		r.copyInput(src)
	}()
	return in
}

func (r *rec) copyInput(src io.Reader) {
	defer func() { _ = recover() }() // the session goes on without input rather than crash the terminal
	buf := make([]byte, 4096)
	var last byte = '\n'
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p := buf[:n]
			last = p[n-1]
			if r.gate != nil {
				r.gateInput(p)
			} else {
				r.mu.Lock()
				t := r.now()
				r.event(recording.Event{Time: t, Code: "i", Data: string(p)})
				act := trackerAction{forward: p}
				if r.queries != nil {
					act = r.trackInput(t, p)
					r.events(act.events)
				}
				r.mu.Unlock()
				if !r.forward(act.forward) {
					return
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) && !r.tty {
				if r.gate != nil {
					r.gateEOF()
					return
				}
				// End of a piped input: an end-of-file for COMMAND (two
				// C-d when a line is pending: the first ends the line).
				eof := []byte{4}
				if last != '\n' && last != '\r' {
					eof = []byte{4, 4}
				}
				_, _ = r.ptmx.Write(eof)
			}
			return
		}
	}
}

// trackInput and trackOutput call the query tracker (with r.mu held). The
// tracker is fuzzed, but a bug in it must not take the lock, the session
// or the user's terminal with it: it is switched off instead, and the
// input passed through. r.queries is not nil.
func (r *rec) trackInput(t time.Duration, p []byte) (act trackerAction) {
	defer func() {
		if e := recover(); e != nil {
			r.trackerFailed(t, e)
			act = trackerAction{forward: p}
		}
	}()
	return r.queries.Input(t, p)
}

func (r *rec) trackOutput(t time.Duration, p []byte) (evs []recording.Event) {
	defer func() {
		if e := recover(); e != nil {
			r.trackerFailed(t, e)
			evs = nil
		}
	}()
	return r.queries.Output(t, p)
}

func (r *rec) trackClose(t time.Duration) (evs []recording.Event) {
	defer func() {
		if e := recover(); e != nil {
			r.trackerFailed(t, e)
			evs = nil
		}
	}()
	return r.queries.Close(t)
}

// trackerFailed switches query capture off and says so in the recording
// (a marker), so that the gap in the query history is visible.
func (r *rec) trackerFailed(t time.Duration, e any) {
	r.queries = nil
	r.event(recording.Event{Time: t, Code: "m", Data: fmt.Sprintf("auditctl: query capture stopped (internal error: %v)", e)})
}

// forward writes keys to COMMAND; false when the terminal is gone.
func (r *rec) forward(p []byte) bool {
	if len(p) == 0 {
		return true
	}
	_, err := r.ptmx.Write(p)
	return err == nil
}

// resize follows the user's terminal size.
func (r *rec) resize() {
	if !r.tty {
		return
	}
	cols, rows, err := term.GetSize(r.ttyFD)
	if err != nil || cols <= 0 || rows <= 0 || cols > 0xffff || rows > 0xffff {
		return
	}
	if cols == r.cols && rows == r.rows {
		return
	}
	r.cols, r.rows = cols, rows
	// Not pty.Setsize: it takes ptmx.Fd(), which puts the file back in
	// blocking mode and out of the poller copyOutput relies on.
	if rc, err := r.ptmx.SyscallConn(); err == nil {
		_ = rc.Control(func(fd uintptr) {
			_ = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(cols), Row: uint16(rows)})
		})
	}
	r.mu.Lock()
	r.event(recording.Event{Time: r.now(), Code: "r", Data: fmt.Sprintf("%dx%d", cols, rows)})
	if r.gate != nil {
		r.gate.cols = cols
	}
	r.mu.Unlock()
}

// exitCode is COMMAND's exit status, 128+N for a death by signal N.
func exitCode(cmd *exec.Cmd, err error) int {
	st := cmd.ProcessState
	if st == nil {
		if err != nil {
			return 1
		}
		return 0
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return st.ExitCode()
}
