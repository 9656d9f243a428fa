package jumpcloud

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/url"
	"os"
	"syscall"
	"testing"
)

// What retrying can mend is retried; what it cannot ends at once.
func TestTransportErrorClasses(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://x/y", Err: err} }
	for _, tc := range []struct {
		name, host string
		err        error
		retry      bool
	}{
		{"no such host", "api.jumpcloud.example:443", &net.DNSError{Err: "no such host", Name: "api.jumpcloud.example", IsNotFound: true}, false},
		{"DNS server down", "api.jumpcloud.com:443", &net.DNSError{Err: "server misbehaving", Name: "api.jumpcloud.com", IsTemporary: true}, true},
		{"unknown CA", "api.jumpcloud.com:443", x509.UnknownAuthorityError{}, false},
		{"wrong host", "api.jumpcloud.com:443", x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x"}, false},
		{"refused on loopback", "127.0.0.1:9", refused, false},
		{"refused on localhost", "localhost:9", refused, false},
		{"refused remotely", "api.jumpcloud.com:443", refused, true},
		{"reset", "api.jumpcloud.com:443", &net.OpError{Op: "read", Err: syscall.ECONNRESET}, true},
		{"timeout", "api.jumpcloud.com:443", context.DeadlineExceeded, true},
	} {
		err := transportError("request", tc.host, wrap(tc.err))
		var r *retryable
		var s *statusError
		switch {
		case tc.retry && !errors.As(err, &r):
			t.Errorf("%s: %T %v, want a retry", tc.name, err, err)
		case !tc.retry && !errors.As(err, &s):
			t.Errorf("%s: %T %v, want an end", tc.name, err, err)
		}
	}
}
