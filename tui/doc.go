// Package tui will hold the interactive log and session browser
// (`auditctl tui`): bubbletea models for the logs and sessions tabs, the
// filter panel and the detail panel. See SPEC §5.
package tui
