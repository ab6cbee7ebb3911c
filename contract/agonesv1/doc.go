// Package agonesv1 is the subset of the Agones Kubernetes API that Leapfrog
// sends and reads (allocation.agones.dev/v1 GameServerAllocation; agones.dev/v1
// GameServer and GameServerSet), declared once for the allocator and the edge.
//
// Field names follow the Agones API, checked against captured Agones traffic
// (internal/allocator/agones, wire_test.go); fields Leapfrog never uses are
// left out, and decoding ignores them. The deep copies Kubernetes clients
// need are generated (`make generate`). The game server does not import this
// package: it links no Kubernetes code and reads the wire names from
// contract/agoneswire.
//
// +k8s:deepcopy-gen=package
package agonesv1
