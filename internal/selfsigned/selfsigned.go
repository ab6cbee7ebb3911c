package selfsigned

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"
)

// Certificate returns a self-signed ECDSA P-256 certificate for hosts (IP
// addresses or DNS names), valid from an hour ago for validity, and its
// PEM form (for clients that want to trust it).
func Certificate(validity time.Duration, hosts ...string) (tls.Certificate, []byte, error) {
	key, tmpl, err := newTemplate(validity, "leapfrog-local", hosts)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = true // so that a client can trust it as its own root
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse certificate: %w", err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, certPEM, nil
}

// Chain is a throwaway CA and a server certificate it signed, in PEM, as
// an operator's certificate files hold them.
type Chain struct {
	CA   []byte // the CA certificate: what clients verify against
	Cert []byte // the server certificate
	Key  []byte // the server's private key (PKCS #8)
}

// NewChain makes a CA (valid for no host) and a server certificate for
// hosts signed by it, both valid from an hour ago for validity.
func NewChain(validity time.Duration, hosts ...string) (Chain, error) {
	caCert, caPEM, err := Certificate(validity)
	if err != nil {
		return Chain{}, fmt.Errorf("CA: %w", err)
	}
	key, tmpl, err := newTemplate(validity, "leapfrog-server", hosts)
	if err != nil {
		return Chain{}, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert.Leaf, &key.PublicKey, caCert.PrivateKey)
	if err != nil {
		return Chain{}, fmt.Errorf("sign server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Chain{}, fmt.Errorf("encode server key: %w", err)
	}
	return Chain{
		CA:   caPEM,
		Cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		Key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// TLS is the server side of c.
func (c Chain) TLS() (tls.Certificate, error) { return tls.X509KeyPair(c.Cert, c.Key) }

// Pool is the client side of c: a pool holding its CA.
func (c Chain) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AppendCertsFromPEM(c.CA)
	return p
}

// newTemplate is a key and a server certificate template for hosts.
func newTemplate(validity time.Duration, name string, hosts []string) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("serial number: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"Leapfrog local"}, CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return key, tmpl, nil
}
