package raceserver

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/leapfrog-games/leapfrog/gameserver/host"
)

// TLSOptions name the player port's certificate files (PEM).
type TLSOptions struct {
	CertFile string
	KeyFile  string
	// CAFile is the CA handed to GameLift Realtime clients as caCert;
	// empty means the certificates of CertFile (its chain).
	CAFile string
}

// Enabled reports whether the player port serves TLS.
func (o TLSOptions) Enabled() bool { return o.CertFile != "" }

// Validate reports a half-given set of files.
func (o TLSOptions) Validate() error {
	if (o.CertFile == "") != (o.KeyFile == "") {
		return errors.New("tls-cert-file and tls-key-file go together")
	}
	if o.CAFile != "" && o.CertFile == "" {
		return errors.New("tls-ca-file needs tls-cert-file and tls-key-file")
	}
	return nil
}

// Load reads and checks the files: the key must match the certificate,
// and the CA must hold at least one certificate.
func (o TLSOptions) Load() (*host.TLS, error) {
	if !o.Enabled() {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(o.CertFile, o.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("tls-cert-file %s and tls-key-file %s: %w", o.CertFile, o.KeyFile, err)
	}
	caFile := o.CAFile
	if caFile == "" {
		caFile = o.CertFile
	}
	raw, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read the CA for clients: %w", err)
	}
	ca, err := certificatesPEM(raw)
	if err != nil {
		return nil, fmt.Errorf("the CA for clients in %s: %w", caFile, err)
	}
	return &host.TLS{Certificate: cert, CACert: ca}, nil
}

// certificatesPEM keeps the CERTIFICATE blocks of raw (a certificate
// file may hold its key too, which clients must never get).
func certificatesPEM(raw []byte) ([]byte, error) {
	var out []byte
	for {
		var b *pem.Block
		b, raw = pem.Decode(raw)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return nil, fmt.Errorf("parse certificate: %w", err)
		}
		out = append(out, pem.EncodeToMemory(b)...)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM certificate")
	}
	return out, nil
}
