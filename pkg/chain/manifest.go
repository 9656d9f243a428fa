package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/auditctl/auditctl/pkg/audit"
)

// ManifestSuffix is appended to an export's file name to name its
// manifest.
const ManifestSuffix = ".manifest.json"

// MaxManifestSize bounds what is read of a manifest.
const MaxManifestSize = 1 << 20

// Manifest is the chain of custody of one export file, written beside it:
// what was exported (counts, time range, filter), the file's SHA-256, the
// cache's chain head when the export finished, and an ed25519 signature of
// all of it. Times are RFC 3339 strings, so that the signed bytes are
// exactly what the file holds.
type Manifest struct {
	Version int    `json:"version"`
	Tool    string `json:"tool"`
	Created string `json:"created"`
	// File is the export's base name (the manifest lies beside it).
	File   string `json:"file"`
	Format string `json:"format"`
	// Encryption is "age" when the file is encrypted ("" in clear); the
	// SHA-256 is of the bytes in the file either way.
	Encryption string `json:"encryption"`
	Bytes      int64  `json:"bytes"`
	SHA256     string `json:"sha256"`
	Events     int64  `json:"events"`
	// First and Last are the times of the oldest and newest event exported
	// ("" when none).
	First string `json:"first"`
	Last  string `json:"last"`
	// Filter is the filter as given on the command line, and the window it
	// resolved to.
	Filter ManifestFilter `json:"filter"`
	// Chain is the cache's chain head (nil for an export from a remote API).
	Chain *ManifestChain `json:"chain"`
	// PublicKey is the signer's ed25519 public key (base64), KeyID its
	// fingerprint.
	PublicKey string `json:"public_key"`
	KeyID     string `json:"key_id"`
	// Signature is the ed25519 signature (base64) of the manifest's JSON
	// with Signature empty (SigningBytes).
	Signature string `json:"signature"`
}

// ManifestFilter is what selected the exported events.
type ManifestFilter struct {
	Args  []string `json:"args"`  // the filter flags as given ("--action=DeleteUser")
	Since string   `json:"since"` // the window they resolved to ("" = unbounded)
	Until string   `json:"until"`
}

// ManifestChain is a chain head: the newest record's seq and link.
type ManifestChain struct {
	Seq  int64  `json:"seq"`
	Head string `json:"head"`
}

// SigningBytes are the bytes the signature covers: a domain line, then the
// manifest's JSON with the signature left empty.
func (m *Manifest) SigningBytes() ([]byte, error) {
	c := *m
	c.Signature = ""
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, err
	}
	return append([]byte("auditctl-manifest-v1\n"), b...), nil
}

// Sign sets the public key, key id and signature.
func (m *Manifest) Sign(key ed25519.PrivateKey) error {
	pub := key.Public().(ed25519.PublicKey)
	m.PublicKey, m.KeyID = base64.StdEncoding.EncodeToString(pub), Fingerprint(pub)
	b, err := m.SigningBytes()
	if err != nil {
		return err
	}
	m.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(key, b))
	return nil
}

// SignerKey decodes the public key the manifest carries.
func (m *Manifest) SignerKey() (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(m.PublicKey)
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("public_key is not a base64 ed25519 key")
	}
	return ed25519.PublicKey(b), nil
}

// VerifySignature checks the signature against the key the manifest
// carries.
func (m *Manifest) VerifySignature() error {
	pub, err := m.SignerKey()
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Signature)
	if err != nil {
		return fmt.Errorf("signature is not base64")
	}
	b, err := m.SigningBytes()
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, b, sig) {
		return fmt.Errorf("the signature does not match the manifest: it was altered after signing, or signed by another key")
	}
	return nil
}

// FileHash returns the SHA-256 (hex) and size of the file at path.
func FileHash(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// WriteManifest writes m, indented, to w.
func WriteManifest(w io.Writer, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ParseManifest decodes a manifest strictly: one JSON object with only
// the known fields, version 1, and a file name that is a plain name in the
// manifest's directory. name is for error messages.
func ParseManifest(name string, b []byte) (*Manifest, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, audit.Errorf(audit.EINVALID, "manifest %s: %s", name, jsonErr(b, err))
	}
	if dec.More() {
		return nil, audit.Errorf(audit.EINVALID, "manifest %s: more than one JSON value", name)
	}
	if m.Version != 1 {
		return nil, audit.Errorf(audit.EINVALID, "manifest %s: version %d, this auditctl reads version 1", name, m.Version)
	}
	if m.File == "" || m.File != filepath.Base(m.File) || m.File == "." || m.File == ".." || strings.ContainsAny(m.File, `/\`) {
		return nil, audit.Errorf(audit.EINVALID, "manifest %s: file %q is not a plain file name", name, m.File)
	}
	return &m, nil
}

// jsonErr says where a JSON error is, as line:column when it can.
func jsonErr(b []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return err.Error()
	}
	line := 1 + bytes.Count(b[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(b[:off], '\n')
	return fmt.Sprintf("line %d column %d: %v", line, col, err)
}

// ReadManifest reads and parses the manifest at path (at most
// MaxManifestSize bytes).
func ReadManifest(path string) (*Manifest, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, audit.Errorf(audit.EINVALID, "manifest: %v", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxManifestSize+1))
	if err != nil {
		return nil, audit.Errorf(audit.EINVALID, "manifest %s: %v", path, err)
	}
	if len(b) > MaxManifestSize {
		return nil, audit.Errorf(audit.EINVALID, "manifest %s: larger than %d bytes", path, MaxManifestSize)
	}
	return ParseManifest(path, b)
}

// ManifestCheck is one check of a manifest and its file.
type ManifestCheck struct {
	Problem string // "" when it holds
	What    string // "file sha256", "signature", ...
}

// CheckManifest checks m (read from manifestPath) and its file: the file's
// size and SHA-256, the signature, and, when trusted is set, that the
// signer is that key. It returns the problems found (none: all holds).
func CheckManifest(manifestPath string, m *Manifest, trusted ed25519.PublicKey) []string {
	var out []string
	file := filepath.Join(filepath.Dir(manifestPath), m.File)
	sum, n, err := FileHash(file)
	switch {
	case err != nil:
		out = append(out, fmt.Sprintf("file %s: %v", file, err))
	case n != m.Bytes || sum != m.SHA256:
		out = append(out, fmt.Sprintf("file %s changed: sha256 %s, %d bytes; the manifest says sha256 %s, %d bytes", file, sum, n, m.SHA256, m.Bytes))
	}
	if err := m.VerifySignature(); err != nil {
		out = append(out, "signature: "+err.Error())
	}
	if trusted != nil {
		if pub, err := m.SignerKey(); err == nil && !pub.Equal(trusted) {
			out = append(out, fmt.Sprintf("signed by key %s, not by the trusted key %s", Fingerprint(pub), Fingerprint(trusted)))
		}
	}
	return out
}
