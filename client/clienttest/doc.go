// Package clienttest plays Mega Frog Race with the Go client in tests of
// servers that host it.
package clienttest
