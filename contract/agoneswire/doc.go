// Package agoneswire is the names Leapfrog and Agones agree on, as they are
// on the wire: GameServer states, labels, annotations, list names, and the
// lobbies annotation a high-density game server writes for its allocators.
// It has no dependencies, so the game server, the allocator and the edge
// all import it (docs/high-density.md, docs/contracts.md).
package agoneswire
