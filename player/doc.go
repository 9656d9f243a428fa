// Package player will hold the offline session player (`auditctl sessions
// play`) and the terminal emulator it renders recordings with. See SPEC §6.
package player
