// Package testca makes a throwaway certificate authority and a server
// certificate signed by it, for the test harnesses that run real servers
// (slapd, postgres, SMTP) so that clients verify TLS for real, as they
// must in production, instead of skipping verification.
package testca

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
	"os"
	"path/filepath"
	"time"
)

// CA is a test CA and the server certificate it signed, for 127.0.0.1,
// ::1 and localhost, valid for a day.
type CA struct {
	// CertPEM is the CA's certificate: what a client trusts (a ca_file).
	CertPEM []byte
	// Pool holds the CA's certificate.
	Pool *x509.CertPool
	// Server is the server's certificate and key, for a tls.Config.
	Server tls.Certificate
	// ServerCertPEM and ServerKeyPEM are the same as PEM, for servers that
	// read files.
	ServerCertPEM, ServerKeyPEM []byte
}

// New makes a CA named name and a server certificate signed by it, for
// 127.0.0.1, ::1 and localhost.
func New(name string) (*CA, error) {
	return NewFor(name, "127.0.0.1", []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}, []string{"localhost"})
}

// NewFor makes a CA named name and a server certificate signed by it,
// whose common name is cn, for these addresses and host names (a server
// on another loopback address, or one that checks its own name).
func NewFor(name, cn string, ips []net.IP, dnsNames []string) (*CA, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  ips,
		DNSNames:     dnsNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("testca: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	return &CA{
		CertPEM:       pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Pool:          pool,
		Server:        tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf},
		ServerCertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		ServerKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}, nil
}

// The files WriteFiles writes.
const (
	CAFile         = "ca.pem"
	ServerCertFile = "server.pem"
	ServerKeyFile  = "server.key"
)

// WriteFiles writes CAFile, ServerCertFile and ServerKeyFile into dir,
// readable by their owner only, and returns their paths.
func (c *CA) WriteFiles(dir string) ([]string, error) {
	var paths []string
	for _, f := range []struct {
		name string
		b    []byte
	}{{CAFile, c.CertPEM}, {ServerCertFile, c.ServerCertPEM}, {ServerKeyFile, c.ServerKeyPEM}} {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, f.b, 0o600); err != nil {
			return nil, err
		}
		paths = append(paths, p)
	}
	return paths, nil
}
