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
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "fracturecds test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestServesTLSWithHSTSAndSecurityHeaders starts the program with
// --tls-cert/--tls-key and a generated self-signed certificate: HTTPS
// works, TLS 1.1 is refused, responses carry HSTS and the security
// headers, and plain HTTP on the port gets no service.
func TestServesTLSWithHSTSAndSecurityHeaders(t *testing.T) {
	cert, key, pool := selfSigned(t, t.TempDir())
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--admin-addr", "off", "--tls-cert", cert, "--tls-key", key}, func(string) string { return "" }, io.Discard, &logs)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	var resp *http.Response
	var err error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if resp, err = client.Get("https://" + addr + "/cds-services"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("HTTPS: %v", err)
	}
	resp.Body.Close()
	want := map[string]string{
		"Strict-Transport-Security": "max-age=31536000; includeSubDomains",
		"X-Content-Type-Options":    "nosniff",
		"Cache-Control":             "no-store",
		"Referrer-Policy":           "no-referrer",
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	old := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get("https://" + addr + "/healthz"); err == nil {
		resp.Body.Close()
		t.Errorf("TLS 1.1 accepted")
	}
	if resp, err := http.Get("http://" + addr + "/cds-services"); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Errorf("plain HTTP served the service")
		}
		resp.Body.Close()
	}
	if !strings.Contains(logs.String(), "no auth.issuers configured") {
		t.Errorf("no start-up warning about missing authentication:\n%s", logs.String())
	}
}

// TestNonLoopbackWithoutIssuersIsRefused: secure by default.
func TestNonLoopbackWithoutIssuersIsRefused(t *testing.T) {
	env := func(string) string { return "" }
	err := run(context.Background(), []string{"--addr", "0.0.0.0:0", "--admin-addr", "off"}, env, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--insecure-no-auth") {
		t.Errorf("non-loopback address without issuers: %v, want a refusal naming --insecure-no-auth", err)
	}
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"loopback v4", Config{Addr: "127.0.0.1:8080"}, true},
		{"loopback v6", Config{Addr: "[::1]:8080"}, true},
		{"localhost", Config{Addr: "localhost:8080"}, true},
		{"all interfaces", Config{Addr: ":8080"}, false},
		{"0.0.0.0", Config{Addr: "0.0.0.0:8080"}, false},
		{"0.0.0.0 with --insecure-no-auth", Config{Addr: "0.0.0.0:8080", InsecureNoAuth: true}, true},
		{"0.0.0.0 with an issuer", Config{Addr: "0.0.0.0:8080", Auth: AuthConfig{Issuers: []IssuerConfig{{Iss: "x"}}}}, true},
	}
	for _, tt := range tests {
		if err := tt.cfg.checkExposure(); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

// TestConfigCheckValidatesSecurityKeys: the README example shape passes
// (jwks_file relative to the config file); each bad key is named.
func TestConfigCheckValidatesSecurityKeys(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := selfSigned(t, dir)
	os.WriteFile(filepath.Join(dir, "keys.json"), []byte(`{"keys":[{"kty":"EC","crv":"P-384","kid":"k","x":"46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk","y":"XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI"}]}`), 0o600)
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`public_base_url: https://cds.hospital.example
tls_cert_file: `+cert+`
tls_key_file: `+key+`
cors:
  allowed_origins: [https://sandbox.cds-hooks.org]
auth:
  clock_skew: 30s
  issuers:
    - iss: https://ehr.hospital.example
      jwks_url: https://ehr.hospital.example/.well-known/jwks.json
      fhir_servers: [https://ehr.hospital.example/fhir]
    - iss: https://lab-ehr.hospital.example
      jwks_file: keys.json
      tenants: [hospital-a]
`), 0o600)
	env := func(string) string { return "" }
	var out bytes.Buffer
	if err := run(context.Background(), []string{"config", "check", good}, env, &out, io.Discard); err != nil {
		t.Fatalf("good security config rejected: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(`tls_cert_file: nope.pem
cors:
  allowed_origins: ["*"]
auth:
  clock_skew: 1h
  issuers:
    - iss: https://ehr.hospital.example
      jwks_url: http://ehr.hospital.example/jwks.json
      fhir_servers: [http://ehr.hospital.example/fhir]
`), 0o600)
	err := run(context.Background(), []string{"config", "check", bad}, env, &out, io.Discard)
	if err == nil {
		t.Fatal("bad security config accepted")
	}
	for _, want := range []string{"public_base_url", "jwks_url", "fhir_servers", "cors.allowed_origins", "clock_skew", "tls_cert_file and tls_key_file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
	typo := filepath.Join(dir, "typo.yaml")
	os.WriteFile(typo, []byte("auth:\n  issuers:\n    - iss: x\n      jwks_uri: https://x.example/jwks\n"), 0o600)
	if err := run(context.Background(), []string{"config", "check", typo}, env, &out, io.Discard); err == nil || !strings.Contains(err.Error(), "jwks_uri") {
		t.Errorf("unknown auth key accepted or not named: %v", err)
	}
}
