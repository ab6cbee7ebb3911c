// Package agones is the allocator backend that reserves player slots on an
// Agones Fleet by creating GameServerAllocations through the Kubernetes API.
package agones
