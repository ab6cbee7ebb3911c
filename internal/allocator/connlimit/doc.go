// Package connlimit caps the connections a server keeps open, per client IP address and in all.
package connlimit
