// Package recording reads terminal session recordings as a stream of timed
// events, whatever their format, and writes asciicast v3 (auditctl's .rec)
// or v2.
//
// # Reading
//
// Open(path, Options) is the entry point of every command: it opens the
// file, detects its format by content (never by file name) and returns a
// Reader whose Header, Next and Close work the same for every format;
// Header().Format names the format read. NewReader reads from an
// io.Reader, NewScriptReader a util-linux script recording from readers.
//
// Detection, in order: gzip (magic 1f 8b) or zstd (28 b5 2f fd)
// compression, removed first; a first line starting with '{' is asciicast;
// lines that all match the classic ("DELAY NBYTES") or advanced ("O|I
// DELAY NBYTES", "S DELAY SIGNAL ...", "H DELAY NAME VALUE") grammar of a
// script timing file; ttyrec when the first frames are plausible
// (microseconds below 1e6, lengths below 1 MiB, times in order, a short
// file made of whole frames). Anything else is rejected on line 1.
//
// Formats:
//
//   - asciicast v3 (auditctl's .rec): a header line {"version":3,"term":{...}}
//     followed by [interval, code, data] events whose times are RELATIVE to
//     the previous event. Lines starting with '#' and blank lines are skipped.
//     auditctl's extensions are passed through: the header key "audit"
//     (Header.Audit) and the event code "q" (database queries; DecodeQuery).
//   - asciicast v2: a header line {"version":2,"width":W,"height":H,...}
//     followed by [time, code, data] events with ABSOLUTE times. Blank lines
//     are tolerated, as the reference implementation does.
//   - asciicast v1: one JSON document {"version":1,...,"stdout":[[delay,
//     data],...]}; it is read into memory whole (v1 has no line structure).
//   - ttyrec: frames of a 12-byte header (seconds, microseconds, length;
//     little-endian uint32) and the output. Times are made relative to the
//     first frame (whose time, when it is a Unix time, is the Timestamp) and
//     never go back (a clock set back while recording gives interval 0).
//     The size is Options.Width x Height, 80x24 by default.
//   - util-linux script(1) with --log-timing (or -t): the timing file is the
//     recording and its data files come from Options (ScriptLog: the
//     typescript or --log-out or --log-io file; ScriptIn: the --log-in
//     file); Open says which flag to pass when they are missing, with the
//     names the timing file records. Classic format: every line is output.
//     Advanced format: O output, I input, S SIGWINCH a resize ("r"), other
//     signals a marker ("m" with the signal name), H EXIT_CODE the exit
//     status ("x"); the leading H entries fill the Header (START_TIME,
//     COMMAND, TERM, SHELL, COLUMNS, LINES). Each data file's "Script
//     started on DATE [INFO]" line is skipped (its TERM, COLUMNS, LINES,
//     COMMAND and date are used when the timing file does not say), and the
//     trailing "Script done" line is never reached. With --log-io the one
//     file holds both streams in timing order.
//
// Times are exact: every time, interval or delay is parsed from its decimal
// text into integer nanoseconds (digits below 1 ns are truncated) and
// relative times are summed as integers, so a long recording does not
// drift the way a sum of float64 seconds would.
//
// Event codes are "o" output, "i" input, "r" resize ("COLSxROWS", validated),
// "m" marker, "x" exit status and "q" query; any other code is returned as
// given so that callers can skip it while its interval still advances the
// clock. Data are bytes: ttyrec and script chunks are returned as recorded,
// even when they split a UTF-8 sequence.
//
// Every error about the content is an *audit.InputError naming the file and
// the 1-based line (the timing file's line for script; for v1 and ttyrec,
// the frame as Record) and the field. Errors about one asciicast event line
// (and script S lines) are not Fatal: Next may be called again to go on
// with the next line. Header, decompression (a gzip or zstd stream cut
// short), I/O, v1, ttyrec and script data errors are Fatal and sticky, and
// so is a last line cut mid-way (no newline, does not parse). Reader.Damage
// collects every error Next returned (see Damage); Reader.Each reads every
// readable event, skipping bad lines and stopping at a break. Memory is bounded by the longest line
// (256 MiB) or chunk (64 MiB), except for v1.
//
// # Seeking
//
// For uncompressed asciicast v2 and v3 (Seekable), Position returns the
// byte offset, line, clock and event count after the last line Next
// consumed, and Resume (or OpenAt) continues from there exactly as a
// Reader from the start would, errors naming the same lines.
//
// # Writing
//
// NewWriter writes asciicast v3 (or v2) event by event; see Writer for the
// time and string rules (microsecond times without drift, JSON escaping as
// asciinema does, UTF-8 sequences joined across events, other bytes as
// U+FFFD). Debian's asciinema 2.2.0 plays and cats every v2 file it writes
// (tested).
package recording
