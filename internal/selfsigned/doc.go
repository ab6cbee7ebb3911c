// Package selfsigned makes throwaway TLS certificates (alone, or a CA and a server certificate it signed), so that local runs and tests can serve https://, wss:// and DTLS.
package selfsigned
