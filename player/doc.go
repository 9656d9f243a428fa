// Package player is the interactive session player (`auditctl sessions
// play`, SPEC §6): a bubbletea program that shows a recording's terminal
// screen, rendered cell by cell from auditctl's own emulator (player/vt),
// beside a keystroke panel, a query-history panel for database sessions and
// a timeline with markers.
//
// The model follows the Elm shape: Update reacts to messages, View only
// assembles strings rendered in Update. Everything slow runs in a tea.Cmd
// or a goroutine and comes back as a message:
//
//   - the first screen is read from the start of the recording at once
//     (a stream playback), while the seek index (player/seek) is loaded or
//     built in the background; seeks go through the index once it is ready;
//   - one streaming pass collects keystrokes (pkg/keys), queries, markers,
//     long idle gaps and the duration, sending what it found in batches;
//   - a search replays the recording through a second emulator and reports
//     every moment the text appears on the screen.
//
// Nothing from the recording reaches the host terminal except through the
// emulator's cells; titles, keystrokes, queries and messages are passed
// through pkg/sanitize.
//
// The subpackages are the emulator (vt), the seek index (seek) and the
// plain-text dumps (dump).
package player
