// Package app wires the edge binary: configuration, the GameServer watch, TLS with certificate reload, and the servers.
package app
