package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/cmd/logs/export"
	"github.com/auditctl/auditctl/pkg/encrypt"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/query"
	"github.com/auditctl/auditctl/pkg/sanitize"
)

// The export (e) writes the current result (the query, the panel, the
// command line's filter) with the code of `logs export` (export.Events:
// oldest first, formula cells neutralized in CSV, the file written
// atomically, encrypted with age through pkg/encrypt, refused unencrypted
// under export.require_encryption), in a command off the update loop,
// with its progress shown and x to cancel it (nothing is left then).

var exportFormats = []output.Format{output.FormatCSV, output.FormatNDJSON, output.FormatJSON}

var exportEncryptions = []string{"none", "to age / SSH recipients", "with a passphrase"}

// The export form's rows.
const (
	exFormat = iota
	exPath
	exEncrypt
	exRecipients
	exPass
	exConfirm
	exCSVRaw   // csv: --csv-raw
	exArmor    // encrypted: --armor
	exManifest // --manifest
	exRows
)

var exportLabels = [exRows]string{"Format", "File", "Encryption", "Recipients", "Passphrase", "Confirm",
	"CSV formulas", "Armor", "Manifest"}

// isChoice says whether row r is chosen with ← → (else typed in).
func isChoice(r int) bool {
	switch r {
	case exFormat, exEncrypt, exCSVRaw, exArmor, exManifest:
		return true
	}
	return false
}

// exportPanel is the export form, then the running export's progress.
type exportPanel struct {
	format, enc int
	// csvRaw keeps spreadsheet formulas in CSV cells (--csv-raw); armor
	// writes the age file as ASCII (--armor); manifest writes the signed
	// manifest beside the file (--manifest).
	csvRaw, armor, manifest bool
	row                     int
	inputs                  [exRows]textinput.Model
	err                     string
	overwrite               string // the path the user agreed to replace

	job *exportJob // running or done
}

// exportJob is an export running in the background.
type exportJob struct {
	id     int
	path   string
	total  int // the result's count when it started (-1: unknown)
	n      atomic.Int64
	cancel context.CancelFunc
	start  time.Time
	done   bool
}

type exportTickMsg struct{ id int }

type exportDoneMsg struct {
	id   int
	n    int
	said string
	err  error
}

func (m *Model) openExport() tea.Cmd {
	if m.export != nil {
		m.open(layerExport) // the running export's progress
		return nil
	}
	p := &exportPanel{}
	for i := range p.inputs {
		ti := textinput.New()
		ti.Prompt = ""
		ti.SetWidth(max(m.width-26, 8))
		p.inputs[i] = ti
	}
	p.inputs[exPath].SetValue("auditctl-export-" + m.now().UTC().Format("20060102-150405") + ".csv")
	p.inputs[exPath].CursorEnd()
	p.inputs[exRecipients].Placeholder = "age1…, ssh-ed25519 AAAA…, or a recipients file"
	for _, i := range []int{exPass, exConfirm} {
		p.inputs[i].EchoMode = textinput.EchoPassword
		p.inputs[i].EchoCharacter = '•'
	}
	p.row = exPath
	m.export = p
	m.open(layerExport)
	return p.focus()
}

// rows are the rows the form shows: the encryption's inputs only when
// chosen.
func (p *exportPanel) rows() []int {
	r := []int{exFormat, exPath, exEncrypt}
	switch p.enc {
	case 1:
		r = append(r, exRecipients)
	case 2:
		r = append(r, exPass, exConfirm)
	}
	if p.enc > 0 {
		r = append(r, exArmor)
	}
	if exportFormats[p.format] == output.FormatCSV {
		r = append(r, exCSVRaw)
	}
	return append(r, exManifest)
}

// choice is what a choice row shows.
func (p *exportPanel) choice(r int) string {
	yes := func(b bool, y, n string) string {
		if b {
			return y
		}
		return n
	}
	switch r {
	case exFormat:
		return string(exportFormats[p.format])
	case exEncrypt:
		return exportEncryptions[p.enc]
	case exCSVRaw:
		return yes(p.csvRaw, "kept as they are (--csv-raw)", "neutralized with a ' prefix")
	case exArmor:
		return yes(p.armor, "ASCII (--armor)", "binary")
	case exManifest:
		return yes(p.manifest, "signed, beside the file (--manifest)", "none")
	}
	return ""
}

func (p *exportPanel) focus() tea.Cmd {
	for i := range p.inputs {
		p.inputs[i].Blur()
	}
	if isChoice(p.row) {
		return nil
	}
	return p.inputs[p.row].Focus()
}

func (p *exportPanel) moveRow(d int) tea.Cmd {
	rows := p.rows()
	i := 0
	for j, r := range rows {
		if r == p.row {
			i = j
		}
	}
	p.row = rows[(i+d+len(rows))%len(rows)]
	return p.focus()
}

func (m *Model) exportKey(k tea.KeyPressMsg) tea.Cmd {
	p := m.export
	s := k.String()
	if p.job != nil { // the progress
		switch s {
		case "x":
			if !p.job.done {
				p.job.cancel()
				m.setStatus("cancelling the export…", false)
			}
			return nil
		case "enter", "esc", "e":
			m.closeLayer(layerExport)
		default:
			if !p.job.done {
				return nil
			}
			m.closeLayer(layerExport)
		}
		if p.job.done {
			m.export = nil
		}
		return nil
	}
	switch s {
	case "esc":
		m.export = nil
		return m.closeLast()
	case "up", "shift+tab":
		return p.moveRow(-1)
	case "down", "tab":
		return p.moveRow(1)
	case "enter":
		return m.startExport()
	case "left", "right", "space", " ":
		d := 1
		if s == "left" {
			d = -1
		}
		switch p.row {
		case exFormat:
			p.format = (p.format + d + len(exportFormats)) % len(exportFormats)
			p.setExt()
			return nil
		case exEncrypt:
			p.enc = (p.enc + d + len(exportEncryptions)) % len(exportEncryptions)
			p.setExt()
			return nil
		case exCSVRaw:
			p.csvRaw = !p.csvRaw
			return nil
		case exArmor:
			p.armor = !p.armor
			return nil
		case exManifest:
			p.manifest = !p.manifest
			return nil
		}
	}
	if isChoice(p.row) {
		return nil
	}
	var cmd tea.Cmd
	p.inputs[p.row], cmd = p.inputs[p.row].Update(k)
	p.err = ""
	return cmd
}

// setExt makes the file name say the format (and .age when encrypted).
func (p *exportPanel) setExt() {
	path := p.inputs[exPath].Value()
	base := encrypt.TrimSuffixes(path)
	switch strings.ToLower(filepath.Ext(base)) {
	case ".csv", ".json", ".ndjson":
		base = strings.TrimSuffix(base, filepath.Ext(base))
	}
	path = base + "." + string(exportFormats[p.format])
	if p.enc > 0 {
		path += ".age"
	}
	p.inputs[exPath].SetValue(path)
	p.inputs[exPath].CursorEnd()
}

// startExport checks the form and starts the export in a command.
func (m *Model) startExport() tea.Cmd {
	p := m.export
	path := strings.TrimSpace(p.inputs[exPath].Value())
	var fl encrypt.Flags
	var pass string
	switch {
	case path == "":
		p.err = "name the file"
	case p.enc == 1 && strings.TrimSpace(p.inputs[exRecipients].Value()) == "":
		p.err = "give a recipient: an age public key (age1…), an SSH public key, or a recipients file"
	case p.enc == 2 && p.inputs[exPass].Value() == "":
		p.err = "type a passphrase"
	case p.enc == 2 && p.inputs[exPass].Value() != p.inputs[exConfirm].Value():
		p.err = "the two passphrases differ"
	case p.manifest && m.opt.SigningKey == nil:
		p.err = "no signing key here: a manifest cannot be signed"
	}
	if p.err != "" {
		return nil
	}
	if strings.HasPrefix(path, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			path = filepath.Join(home, path[2:])
		}
	}
	if _, err := os.Lstat(path); err == nil && p.overwrite != path {
		p.err = sanitize.String(path) + " exists: enter again replaces it"
		p.overwrite = path
		return nil
	}
	switch p.enc {
	case 1:
		for _, r := range strings.Split(p.inputs[exRecipients].Value(), ",") {
			r = strings.TrimSpace(r)
			switch {
			case r == "":
			case strings.HasPrefix(r, "age1"), strings.HasPrefix(r, "ssh-"), strings.HasPrefix(r, "AGE-SECRET-KEY-"):
				fl.To = append(fl.To, r)
			default:
				fl.ToFiles = append(fl.ToFiles, r)
			}
		}
	case 2:
		fl.Passphrase, pass = true, p.inputs[exPass].Value()
	}
	fl.Armor = p.enc > 0 && p.armor
	csvRaw := exportFormats[p.format] == output.FormatCSV && p.csvRaw
	var mo *export.ManifestOptions
	if p.manifest {
		// the filter as `logs export` takes it: the whole of it as a
		// query (export has no default window)
		mo = &export.ManifestOptions{Now: m.now(), Args: []string{}, ChainHead: m.opt.ChainHead}
		if q := query.Format(m.logs.filter); q != "" {
			mo.Args = []string{"--query=" + q}
		}
	}
	signingKey := m.opt.SigningKey
	for _, i := range []int{exPass, exConfirm} {
		p.inputs[i].SetValue("") // not kept longer than needed
	}
	v := &m.logs
	m.exportID++
	ctx, cancel := context.WithCancel(m.ctx)
	job := &exportJob{id: m.exportID, path: path, total: v.total, cancel: cancel, start: time.Now()}
	p.job = job
	format, f, svc, cfg, scrypt := exportFormats[p.format], v.filter, m.opt.Events, m.opt.Config, m.opt.ScryptWorkFactor
	run := func() tea.Msg {
		defer cancel()
		out := &encrypt.Output{Path: path}
		env := encrypt.Env{
			LookupEnv:        func(string) (string, bool) { return "", false }, // asked in the form, not the environment
			Ask:              func(context.Context) (string, error) { return pass, nil },
			ScryptWorkFactor: scrypt,
		}
		var created string
		if mo != nil {
			// before the export: a key that cannot be had fails at once
			var err error
			if mo.Key, created, err = signingKey(); err != nil {
				return exportDoneMsg{id: job.id, err: err}
			}
		}
		if err := out.Prepare(ctx, cfg, &fl, env); err != nil {
			return exportDoneMsg{id: job.id, err: err}
		}
		st, err := export.Events(ctx, svc, f, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}, format, csvRaw, out,
			func(n int) { job.n.Store(int64(n)) })
		said := out.Said()
		if err == nil && mo != nil {
			var mpath string
			if mpath, err = export.WriteManifest(ctx, path, *mo, format, f, out.Encrypter != nil, st); err == nil {
				said += "; the signed manifest " + sanitize.String(mpath)
				if created != "" {
					said += " (signing key created: " + sanitize.String(created) + ")"
				}
			}
		}
		return exportDoneMsg{id: job.id, n: st.N, said: said, err: err}
	}
	return tea.Batch(run, m.exportTick(job.id))
}

func (m *Model) exportTick(id int) tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return exportTickMsg{id: id} })
}

func (m *Model) gotExportTick(msg exportTickMsg) tea.Cmd {
	if m.export == nil || m.export.job == nil || m.export.job.id != msg.id || m.export.job.done {
		return nil
	}
	return m.exportTick(msg.id) // the frame redraws with the count
}

func (m *Model) gotExportDone(msg exportDoneMsg) {
	p := m.export
	if p == nil || p.job == nil || p.job.id != msg.id {
		return
	}
	p.job.done = true
	path := sanitize.String(p.job.path)
	switch {
	case errors.Is(msg.err, context.Canceled):
		m.setStatus("export cancelled: "+path+" not written", false)
	case msg.err != nil:
		m.setStatus("export: "+errText(msg.err), true)
	default:
		m.setStatus(fmt.Sprintf("exported %d events to %s%s", msg.n, path, msg.said), false)
	}
	if l, ok := m.top(); !ok || l != layerExport {
		m.export = nil // the panel is closed: the status says it
	}
}

// exportText is the header's note of a running export.
func (m *Model) exportText() string {
	if m.export == nil || m.export.job == nil || m.export.job.done {
		return ""
	}
	return "exporting " + m.export.job.progress() + " "
}

func (j *exportJob) progress() string {
	n := j.n.Load()
	if j.total > 0 {
		return fmt.Sprintf("%d of %d (%d%%)", n, j.total, min(n*100/int64(j.total), 100))
	}
	return fmt.Sprintf("%d events", n)
}

// exportLines draws the form or the progress.
func (m *Model) exportLines() []string {
	p := m.export
	out := []string{m.st.title.Render(" Export") + m.st.dim.Render("  the current result, oldest first, as logs export writes it"), ""}
	if j := p.job; j != nil {
		out = append(out, "  File       "+sanitize.String(j.path))
		if j.done {
			out = append(out, "  "+m.status, "", m.st.dim.Render("  any key closes"))
			return out
		}
		out = append(out, "  Written    "+j.progress(), "", m.st.dim.Render("  x cancels (nothing is left); esc hides this (the export goes on)"))
		return out
	}
	for _, r := range p.rows() {
		var val string
		if isChoice(r) {
			val = "‹ " + p.choice(r) + " ›"
		} else {
			val = p.inputs[r].View()
		}
		label := fmt.Sprintf("  %-12s", exportLabels[r])
		if r == p.row {
			label = m.st.selected.Render(fmt.Sprintf("▸ %-12s", exportLabels[r]))
		}
		out = append(out, label+" "+val)
	}
	out = append(out, "")
	if p.err != "" {
		out = append(out, "  "+m.st.err.Render(p.err))
	} else {
		n := "the result"
		if m.logs.total >= 0 {
			n = fmt.Sprintf("%d events", m.logs.total)
		}
		out = append(out, m.st.dim.Render("  "+n+" · "+filterText(m.logs.filter)))
	}
	return out
}
