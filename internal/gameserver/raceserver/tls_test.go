package raceserver

import (
	"crypto/tls"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
	"github.com/leapfrog-games/leapfrog/gameserver/agonessdk"
	"github.com/leapfrog-games/leapfrog/internal/selfsigned"
)

// TestTLSLoad: the files are checked at start, and clients get the CA
// file, or else the certificate file's certificates (never its key).
func TestTLSLoad(t *testing.T) {
	chain, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert, key, ca := file("tls.crt", chain.Cert), file("tls.key", chain.Key), file("ca.crt", chain.CA)
	bundle := file("bundle.pem", append(append([]byte{}, chain.Cert...), chain.Key...)) // certificate and key in one file
	tests := []struct {
		name    string
		opts    TLSOptions
		wantCA  []byte
		wantErr string
	}{
		{"off", TLSOptions{}, nil, ""},
		{"with a CA file", TLSOptions{CertFile: cert, KeyFile: key, CAFile: ca}, chain.CA, ""},
		{"the cert file's chain", TLSOptions{CertFile: cert, KeyFile: key}, chain.Cert, ""},
		{"a bundle's certificates only", TLSOptions{CertFile: bundle, KeyFile: key}, chain.Cert, ""},
		{"missing cert", TLSOptions{CertFile: filepath.Join(dir, "nope"), KeyFile: key}, nil, "tls-cert-file"},
		{"key of another certificate", TLSOptions{CertFile: cert, KeyFile: file("other.key", other.Key)}, nil, "tls-cert-file"},
		{"CA file without a certificate", TLSOptions{CertFile: cert, KeyFile: key, CAFile: key}, nil, "no PEM certificate"},
		{"missing CA file", TLSOptions{CertFile: cert, KeyFile: key, CAFile: filepath.Join(dir, "nope")}, nil, "CA for clients"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opts.Load()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load() = %v, want an error naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantCA == nil {
				if got != nil {
					t.Errorf("Load() = %+v, want no TLS", got)
				}
				return
			}
			if string(got.CACert) != string(tt.wantCA) || len(got.Certificate.Certificate) == 0 {
				t.Errorf("CA for clients %q, want %q", got.CACert, tt.wantCA)
			}
		})
	}
}

// TestRunServesTLS: with the flags the player port speaks TLS with the
// given certificate; bad files stop the process before Ready with a clear error.
func TestRunServesTLS(t *testing.T) {
	chain, err := selfsigned.NewChain(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := errors.Join(os.WriteFile(cert, chain.Cert, 0o600), os.WriteFile(key, chain.Key, 0o600)); err != nil {
		t.Fatal(err)
	}
	lists := map[string]agonessdk.List{agoneswire.PlayersList: {Capacity: 2}}
	p, err := startProcessWith(t, lists, func(o *Options) { o.TLS = TLSOptions{CertFile: cert, KeyFile: key} })
	if err != nil {
		t.Fatal(err)
	}
	conn, err := tls.Dial("tcp", p.opts.Listen, &tls.Config{RootCAs: chain.Pool(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Errorf("TLS to the player port: %v", err)
	} else {
		conn.Close()
	}
	p.cancel()
	if err := <-p.done; err != nil {
		t.Errorf("Run = %v, want a clean stop", err)
	}

	_, err = startProcessWith(t, lists, func(o *Options) { o.TLS = TLSOptions{CertFile: cert, KeyFile: cert} })
	if err == nil || !strings.Contains(err.Error(), "tls-key-file") {
		t.Errorf("Run with a certificate as its key = %v, want an error naming tls-key-file", err)
	}
}
