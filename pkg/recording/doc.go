// Package recording reads terminal session recordings as a stream of timed
// events.
//
// Formats read so far, each detected by content (never by file name):
//
//   - asciicast v3 (auditctl's .rec): a header line {"version":3,"term":{...}}
//     followed by [interval, code, data] events whose times are RELATIVE to
//     the previous event. Lines starting with '#' and blank lines are skipped.
//     auditctl's extensions are passed through: the header key "audit"
//     (Header.Audit) and the event code "q" (database queries).
//   - asciicast v2: a header line {"version":2,"width":W,"height":H,...}
//     followed by [time, code, data] events with ABSOLUTE times. Blank lines
//     are tolerated, as the reference implementation does.
//   - asciicast v1: one JSON document {"version":1,...,"stdout":[[delay,
//     data],...]}; it is read into memory whole (v1 has no line structure).
//   - any of the above compressed with gzip (magic 1f 8b) or zstd
//     (magic 28 b5 2f fd), detected by magic bytes.
//
// Not yet: ttyrec and util-linux `script --log-timing` (classic and advanced
// formats) are not read by this package yet, nor is there a writer.
//
// Times are exact: every time or interval is parsed from its decimal text
// into integer nanoseconds (digits below 1 ns are truncated) and v3
// intervals are summed as integers, so a long recording does not drift the
// way a sum of float64 seconds would.
//
// Event codes are "o" output, "i" input, "r" resize ("COLSxROWS", validated),
// "m" marker, "x" exit status and "q" query; any other code is returned as
// given so that callers can skip it while its interval still advances the
// clock.
//
// Every error about the content is an *audit.InputError naming the file and
// the 1-based line (or, for v1, the frame as Record). Errors about one event
// line are not Fatal: Next may be called again to go on with the next line.
// Header, decompression, I/O and v1 errors are Fatal and sticky.
package recording
