package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files
// in dir, and returns their paths and the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "pixmatch test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(name, kind string, der []byte) {
		if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(certFile, "CERTIFICATE", der)
	write(keyFile, "EC PRIVATE KEY", keyDER)
	return certFile, keyFile, cert
}

// TestServeTLS starts serve with --tls-cert and --tls-key: it says it
// serves https, a client that trusts the certificate creates a target
// with a signed CRS request (over HTTP/2), and plain http to the port is
// refused.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, cert := selfSigned(t, t.TempDir())
	s := startServer(t, dir, "PIXMATCH_APP_ID=app1", "PIXMATCH_API_KEY=key1", "PIXMATCH_API_SECRET=secret1",
		"PIXMATCH_TEST_RUN=serve --addr 127.0.0.1:0 --data "+dir+" --tls-cert "+certFile+" --tls-key "+keyFile)
	if !strings.HasPrefix(s.url, "https://") {
		t.Fatalf("serve printed %q, want an https URL", s.url)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	t.Cleanup(client.CloseIdleConnections)

	body := signedCreate("app1", "key1", "secret1", "over https", testphoto.File("coffee"))
	res, err := client.Post(s.url+"/targets", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var r struct {
		StatusCode int
		Result     struct{ TargetID string }
	}
	if err := json.NewDecoder(res.Body).Decode(&r); err != nil || res.StatusCode != http.StatusOK || r.StatusCode != 0 || r.Result.TargetID == "" {
		t.Fatalf("create over https: HTTP %d, statusCode %d, %+v, %v", res.StatusCode, r.StatusCode, r.Result, err)
	}
	if res.ProtoMajor != 2 {
		t.Errorf("create over https used %s, want HTTP/2", res.Proto)
	}

	plain, err := http.Get("http://" + strings.TrimPrefix(s.url, "https://") + "/ping")
	if err != nil {
		return // the server hung up: refused too
	}
	defer plain.Body.Close()
	text, _ := io.ReadAll(plain.Body)
	if plain.StatusCode == http.StatusOK {
		t.Fatalf("plain http to the https port answered %d %q", plain.StatusCode, text)
	}
}

// TestTLSFlagsRefused checks that a certificate without its key (or the
// reverse), or files that do not load, stop serve with a message that
// says why, before it creates the data folder.
func TestTLSFlagsRefused(t *testing.T) {
	certFile, keyFile, _ := selfSigned(t, t.TempDir())
	cases := []struct {
		name, want string
		flags      []string
	}{
		{"a certificate alone", "--tls-cert and --tls-key go together", []string{"--tls-cert", certFile}},
		{"a key alone", "--tls-cert and --tls-key go together", []string{"--tls-key", keyFile}},
		{"swapped files", "--tls-cert " + keyFile, []string{"--tls-cert", keyFile, "--tls-key", certFile}},
		{"a missing file", "no such file", []string{"--tls-cert", certFile, "--tls-key", keyFile + ".gone"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			var out bytes.Buffer
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, c.flags...)
			err := run(context.Background(), args, &out, func(string) string { return "" })
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("serve %v: %v, want an error saying %q", c.flags, err, c.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Errorf("the data folder was created: %v", err)
			}
		})
	}
}

// TestCertificateRenewed checks that a certificate renewed in place is
// served from the next handshake on, and that a renewal that does not
// load (a key half written) leaves the last good one served.
func TestCertificateRenewed(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, first := selfSigned(t, dir)
	c := &certificate{files: tlsFiles{certFile, keyFile}, log: slog.New(slog.DiscardHandler)}
	if err := c.load(); err != nil {
		t.Fatal(err)
	}
	served := func() []byte {
		t.Helper()
		pair, err := c.get(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return pair.Certificate[0]
	}
	if !bytes.Equal(served(), first.Raw) {
		t.Fatal("the certificate served is not the one given")
	}
	_, _, renewed := selfSigned(t, dir) // the same files, a new certificate and key
	if !bytes.Equal(served(), renewed.Raw) {
		t.Fatal("the renewed certificate is not served")
	}
	if err := os.WriteFile(keyFile, []byte("-----BEGIN EC PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(served(), renewed.Raw) {
		t.Fatal("a key that does not load replaced the last good certificate")
	}
}
