// Package selfsigned makes a throwaway TLS certificate, so that a local run can serve https:// and wss://.
package selfsigned
