package recording

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/auditctl/auditctl/internal/bytesize"
	"github.com/auditctl/auditctl/pkg/audit"
)

// ttyrec: a sequence of frames, each a 12-byte header of three
// little-endian uint32 (seconds, microseconds, data length) and the data,
// the terminal output. Times are absolute (usually Unix time); events are
// made relative to the first frame. The format records no terminal size.

const ttyrecHeaderLen = 12

// ttyrecDetectMaxLen is the largest frame the sniffer believes in: ttyrec
// writes what one read(2) returned, BUFSIZ bytes at most.
const ttyrecDetectMaxLen = 1 << 20

// isTtyrec reports whether head, the first bytes of the input (all of it
// when complete), looks like ttyrec: the first frames have microseconds
// below 1e6, plausible lengths, times that do not go back by more than a
// minute (a clock adjustment) or jump by more than a year, and (when the
// input is short) end exactly at its end.
func isTtyrec(head []byte, complete bool) bool {
	if len(head) < ttyrecHeaderLen {
		return false
	}
	off, frames := 0, 0
	var prev uint64
	for frames < 8 && off+ttyrecHeaderLen <= len(head) {
		sec := binary.LittleEndian.Uint32(head[off:])
		usec := binary.LittleEndian.Uint32(head[off+4:])
		n := binary.LittleEndian.Uint32(head[off+8:])
		if usec >= 1e6 || n > ttyrecDetectMaxLen || (frames == 0 && n == 0) {
			return false
		}
		t := uint64(sec)*1e6 + uint64(usec)
		if frames > 0 && (t+60e6 < prev || t > prev+366*24*3600*1e6) {
			return false // back by more than a minute, or on by more than a year
		}
		prev = max(prev, t)
		off += ttyrecHeaderLen + int(n)
		frames++
		if frames == 1 && complete && off > len(head) {
			return false // the first frame is longer than the file
		}
	}
	if complete && frames < 8 && off != len(head) {
		// A short file must be whole frames; a truncated last frame is
		// left for the reader to report when the first ones checked out.
		return frames > 1
	}
	return true
}

type ttyrecDecoder struct {
	hdr     [ttyrecHeaderLen]byte
	data    []byte
	started bool
	first   time.Duration
	frame   int
}

func (r *Reader) initTtyrec(opt Options) {
	r.hdr.Format = FormatTtyrec
	r.hdr.Width, r.hdr.Height = opt.size()
	r.hdr.synthTerm()
	r.dec = &ttyrecDecoder{}
	// The first frame's time is the Unix time the recording started, for
	// ttyrec itself (other tools start at 0).
	if head, _ := r.br.Peek(8); len(head) == 8 {
		sec := binary.LittleEndian.Uint32(head)
		usec := binary.LittleEndian.Uint32(head[4:])
		if sec >= 1e8 && usec < 1e6 {
			r.hdr.Timestamp = time.Unix(int64(sec), int64(usec)*1000).UTC()
		}
	}
}

func (d *ttyrecDecoder) next(r *Reader) (Event, error) {
	frame := d.frame + 1
	bad := func(field string, err error) (Event, error) {
		e := &audit.InputError{File: r.name, Record: frame, Field: field,
			Err: fmt.Errorf("ttyrec frame %d at byte %d: %w", frame, r.off, err), Fatal: true}
		r.err = e
		return Event{}, e
	}
	n, err := io.ReadFull(r.br, d.hdr[:])
	switch {
	case err == io.EOF:
		return Event{}, io.EOF
	case err == io.ErrUnexpectedEOF:
		return bad("", fmt.Errorf("truncated frame header (%d of %d bytes)", n, ttyrecHeaderLen))
	case err != nil:
		return bad("", fmt.Errorf("read: %w", err))
	}
	sec := binary.LittleEndian.Uint32(d.hdr[0:])
	usec := binary.LittleEndian.Uint32(d.hdr[4:])
	size := binary.LittleEndian.Uint32(d.hdr[8:])
	if usec >= 1e6 {
		return bad("usec", fmt.Errorf("microseconds %d out of range", usec))
	}
	if int64(size) > int64(r.limit()) {
		return bad("len", fmt.Errorf("frame length %d: event larger than the %s limit; --max-event-size raises the limit", size, bytesize.Format(r.limit())))
	}
	if cap(d.data) < int(size) {
		d.data = make([]byte, size)
	}
	d.data = d.data[:size]
	if m, err := io.ReadFull(r.br, d.data); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return bad("data", fmt.Errorf("truncated frame data (%d of %d bytes)", m, size))
		}
		return bad("data", fmt.Errorf("read: %w", err))
	}
	r.off += int64(ttyrecHeaderLen) + int64(size)
	d.frame = frame
	t := time.Duration(sec)*time.Second + time.Duration(usec)*time.Microsecond
	if !d.started {
		d.started, d.first = true, t
	}
	rel := t - d.first
	if rel < r.clock {
		rel = r.clock // the clock went back while recording: keep times in order
	}
	r.clock = rel
	return Event{Time: rel, Code: "o", Data: string(d.data)}, nil
}

// appendTtyrecFrame appends one ttyrec frame at time t (absolute) to dst.
func appendTtyrecFrame(dst []byte, t time.Duration, data []byte) []byte {
	var h [ttyrecHeaderLen]byte
	binary.LittleEndian.PutUint32(h[0:], uint32(t/time.Second))
	binary.LittleEndian.PutUint32(h[4:], uint32(t%time.Second/time.Microsecond))
	binary.LittleEndian.PutUint32(h[8:], uint32(len(data)))
	return append(append(dst, h[:]...), data...)
}
