package chain

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/auditctl/auditctl/pkg/audit"
)

// KeyFile and PublicKeyFile are the names of the signing key and its public
// half in the configuration directory.
const (
	KeyFile       = "chain.key"
	PublicKeyFile = "chain.pub"
)

// maxKeyFile bounds what is read of a key file.
const maxKeyFile = 16 << 10

// LoadKey reads the ed25519 private key at path (PEM, PKCS #8). The file
// must be a regular file (not reached through a symbolic link) that only its
// owner can read or write: a key others can read proves nothing.
func LoadKey(path string) (ed25519.PrivateKey, error) {
	b, err := readPrivate(path)
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: %v", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: not an ed25519 key (%T)", path, k)
	}
	return priv, nil
}

func readPrivate(path string) ([]byte, error) {
	f, err := openNoFollow(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: %v", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: not a regular file", path)
	}
	if err := checkPrivate(fi); err != nil {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: %v (chmod 600 %s)", path, err, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile))
	if err != nil {
		return nil, audit.Errorf(audit.ELOCAL, "signing key %s: %v", path, err)
	}
	return b, nil
}

// LoadOrCreateKey returns the key at path, creating it first when there is
// none: a new ed25519 key written 0600 (its directory created 0700), under
// a temporary name and linked into place, so that a reader never sees half
// a key and two processes creating it at once both use the one linked
// first. The public half is written beside it (PublicKeyFile, 0644) for
// auditors. created says whether this call made it.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	key, err = LoadKey(path)
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		return key, false, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, audit.Errorf(audit.ELOCAL, "signing key: %v", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, false, err
	}
	tmp, err := os.CreateTemp(dir, ".chain.key-*")
	if err != nil {
		return nil, false, audit.Errorf(audit.ELOCAL, "signing key: %v", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, false, audit.Errorf(audit.ELOCAL, "signing key: %v", err)
	}
	werr := pem.Encode(tmp, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if werr == nil {
		werr = tmp.Sync()
	}
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, false, audit.Errorf(audit.ELOCAL, "signing key %s: %v", path, werr)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, os.ErrExist) {
			key, err := LoadKey(path)
			return key, false, err
		}
		return nil, false, audit.Errorf(audit.ELOCAL, "signing key %s: %v", path, err)
	}
	if err := writePublic(filepath.Join(dir, PublicKeyFile), pub); err != nil {
		return nil, false, err
	}
	return priv, true, nil
}

func writePublic(path string, pub ed25519.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return err
	}
	b := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	tmp := path + ".tmp"
	_ = os.Remove(tmp)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return audit.Errorf(audit.ELOCAL, "public key %s: %v", path, err)
	}
	_, werr := f.Write(b)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return audit.Errorf(audit.ELOCAL, "public key %s: %v", path, werr)
	}
	return nil
}

// LoadPublicKey reads an ed25519 public key: a PEM "PUBLIC KEY" file (as
// written beside the signing key) or the private key file itself.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, audit.Errorf(audit.ELOCAL, "public key: %v", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, audit.Errorf(audit.EUSAGE, "public key %s: not a PEM file", path)
	}
	switch blk.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(blk.Bytes)
		if err != nil {
			return nil, audit.Errorf(audit.EUSAGE, "public key %s: %v", path, err)
		}
		if pub, ok := k.(ed25519.PublicKey); ok {
			return pub, nil
		}
		return nil, audit.Errorf(audit.EUSAGE, "public key %s: not an ed25519 key (%T)", path, k)
	case "PRIVATE KEY":
		priv, err := LoadKey(path)
		if err != nil {
			return nil, err
		}
		return priv.Public().(ed25519.PublicKey), nil
	}
	return nil, audit.Errorf(audit.EUSAGE, "public key %s: a PEM %q, not a public key", path, blk.Type)
}

// Fingerprint is a short name of a public key: the first 16 hex digits of
// its SHA-256.
func Fingerprint(pub ed25519.PublicKey) string {
	h := Hash{}
	if len(pub) > 0 {
		h = sumBytes(pub)
	}
	return fmt.Sprintf("%x", h[:8])
}
