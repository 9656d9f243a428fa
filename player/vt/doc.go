// Package vt is auditctl's terminal emulator: it interprets the output of a
// recorded terminal session and keeps the screen it would have shown, for the
// session player (SPEC §6). It never writes anywhere: terminal queries (DA,
// DSR, DECRQM, XTVERSION, OSC color queries...) are parsed and answered into
// nothing, so nothing ever blocks.
//
// # Design
//
// The parser (parser.go) is a byte-at-a-time DEC/VT500 state machine after
// the state diagram published at vt100.net (ground, escape,
// escape-intermediate, CSI entry/param/intermediate/ignore, OSC string, DCS
// entry/param/intermediate/passthrough/ignore, and SOS/PM/APC ignored up to
// ST), with UTF-8 decoding in the ground state (invalid sequences become
// U+FFFD, sequences may be split across Write calls) and colon
// sub-parameters. It holds no pointers and knows nothing of the screen: each
// byte yields an action (print, execute, ESC, CSI or OSC dispatch) that the
// terminal carries out with the parameters the parser collected.
//
// Write has a fast path: in the ground state a run of printable ASCII is
// written straight into the row's cells, a row at a time, without going
// through the state machine. Nothing allocates per byte.
//
// The screen model (terminal.go, csi.go) keeps a main and an alternate
// screen. Each screen is a ring of rows: scrolling the whole screen rotates
// the ring's start and clears one row (O(1) per line); scrolling a region
// moves row headers, never cells. A cell is 16 bytes: the rune, foreground
// and background colors and attributes, and flags for the halves of wide
// characters. A cell with combining marks stores an index into a side table
// of texts instead of its rune, so the common cell stays small; the table is
// compacted when it grows.
//
// The cursor column can be one past the last column: that is the pending
// wrap state after the last column was written with autowrap on (the next
// printed character wraps first). This is how tmux models it, and the
// operations follow tmux's handling of that state (for instance a line feed
// and VPA keep it, erase operations at that position erase nothing, and
// when autowrap is turned off in that state characters are dropped until the
// cursor moves). Cursor reports the last column then.
//
// Each row carries a wrapped flag (RowWrapped, the line handler) and the
// number of cells written since it was cleared (which the reflow on resize
// uses, as tmux's cellused). The flags change as in tmux 3.3a without
// history: set by autowrap; cleared on the row above when a row is erased
// whole, when rows are inserted or deleted below it or a region below it
// scrolls; cleared on rows that IL, DL and RI move away from their
// continuation.
//
// # Snapshots
//
// Snapshot copies the whole state (both screens, cursor, pen, saved cursors,
// modes, character sets, scroll region, tab stops, title, and the parser,
// including a partial escape or UTF-8 sequence); Restore brings it back, so
// that restoring a snapshot and replaying the rest of a stream gives the same
// terminal as replaying it all. MarshalBinary encodes a snapshot compactly:
// a header, the table of styles and combined texts in order of first use,
// then each row as segments (a run of one repeated cell, such as blanks, or
// a list of cells sharing a style: a plain cell is its rune in UTF-8, other
// cells use a token byte below 0x20), the rows' wrap flags and lengths, tab
// stops as bits, and the state and parser fields as varints. A busy 80x24
// terminal takes about 2 KB, 200x60 about 5.5 KB. (The alternate screen is
// cleared when it is left, as its content can never be seen again: entering
// it clears it; so it costs a few bytes per row while not in use.) UnmarshalBinary validates every field (sizes, indices, wide
// character pairs, printable cell contents, parser consistency) and returns
// an error for corrupt input; it never panics.
//
// # Known deviations from xterm and tmux
//
// Where xterm and tmux differ, the model mostly follows tmux (the oracle the
// tests compare with); the cases where it follows xterm instead are noted.
//
//   - Resize follows tmux: the main screen is reflowed on a width change
//     (tmux's algorithm: rows joined by autowrap are rejoined, rows longer
//     than the new width split, the cursor stays on its character), the
//     alternate screen is cut. There is no scrollback, so rows that scroll
//     out (to the line handler) never come back: when the screen gets
//     taller, blank rows are added at the bottom where tmux would pull rows
//     back from its history. xterm does not reflow.
//   - Writing into or erasing one half of a wide character blanks the other
//     half (like xterm; tmux leaves a padding cell or the other half, which
//     its capture-pane then skips or shows).
//   - Like tmux, backspace at column 0 goes back to the end of the previous row
//     when that row wrapped, and IL/DL with the cursor outside the scroll
//     region work on the rows from the cursor to the bottom of the screen;
//     xterm ignores those cases.
//   - Entering the alternate screen (47, 1047, 1049) always clears it, as tmux
//     does; 1049 also saves and restores the cursor.
//   - ED 3 (erase saved lines) does nothing: there is no scrollback.
//   - Like xterm (tmux differs): RIS returns to the main screen; REP wraps
//     like the printed character would (tmux stops at the end of the row);
//     CHT, HPR and VPR are supported (tmux 3.3a ignores them); DECSTR
//     resets insert mode and does not home the cursor; malformed UTF-8
//     shows U+FFFD (tmux drops it).
//   - Combining marks attach to the cell before the cursor (like tmux), also
//     when autowrap is off and the cursor sits on the last column.
//   - Character widths follow Unicode East Asian Width (W and F are 2
//     columns) and general categories Mn, Me and Cf (0 columns), like glibc's
//     wcwidth; grapheme clusters are not joined (an emoji ZWJ sequence takes
//     the columns of each of its emoji).
//   - Only the ASCII, DEC Special Graphics and UK character sets; G2/G3 can
//     be designated but single shifts are ignored. No DECLRMM left/right
//     margins, no double-width lines, no sixel or other graphics.
package vt
