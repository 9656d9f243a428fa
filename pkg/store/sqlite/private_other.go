//go:build !unix

package sqlite

// privateSidecar does nothing where file modes are not Unix modes.
func privateSidecar(string) {}
