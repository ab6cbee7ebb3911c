// Package sdktest serves the Agones SDK sidecar's REST API, in the wire format of the real v1.60 sidecar, from an agonessdk.Memory for tests.
package sdktest
