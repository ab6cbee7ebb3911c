package selfsigned

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestCertificateIsValidForItsHostsOnly(t *testing.T) {
	cert, certPEM, err := Certificate(time.Hour, "127.0.0.1", "localhost", "")
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(certPEM) {
		t.Fatal("the PEM does not parse")
	}
	for host, ok := range map[string]bool{"127.0.0.1": true, "localhost": true, "example.com": false, "10.0.0.1": false} {
		_, err := cert.Leaf.Verify(x509.VerifyOptions{Roots: roots, DNSName: host})
		if (err == nil) != ok {
			t.Errorf("verify for %s: %v, want valid=%v", host, err, ok)
		}
	}
	if got := cert.Leaf.NotAfter; got.Before(time.Now().Add(59*time.Minute)) || got.After(time.Now().Add(61*time.Minute)) {
		t.Errorf("valid until %v, want in an hour", got)
	}
}

func TestChainServerCertificateVerifiesAgainstItsCA(t *testing.T) {
	chain, err := NewChain(time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := chain.TLS()
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	for host, ok := range map[string]bool{"127.0.0.1": true, "10.0.0.1": false} {
		_, err := leaf.Verify(x509.VerifyOptions{Roots: chain.Pool(), DNSName: host})
		if (err == nil) != ok {
			t.Errorf("verify for %s: %v, want valid=%v", host, err, ok)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: x509.NewCertPool(), DNSName: "127.0.0.1"}); err == nil {
		t.Error("the server certificate verifies without its CA")
	}
}
