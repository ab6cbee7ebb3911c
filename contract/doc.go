// Package contract is the home of every agreement between Leapfrog's
// components and their users: each subpackage is imported by every side of
// one contract and owned by none, as Agones keeps its API types apart from
// its controllers.
//
//   - proto: the protobuf schemas of the realtime protocol, GameLift Realtime
//     packets and the games' messages.
//   - token: guest identities, player sessions and the edge's relay headers.
//   - matchapi: the allocator's HTTP API (guests, matches, error answers).
//   - closecode: the WebSocket close codes of game servers and the edge.
//   - agoneswire: the Agones wire names (states, labels, annotations, lists);
//     no dependencies, so the game server imports it too.
//   - agonesv1: the Agones API types the allocator and the edge send and
//     read, with generated deep copies (`make generate`).
//
// The browser client's copies of matchapi and closecode are generated from
// these declarations (web/src/gen/leapfrog/contract.ts, `make web`), so the
// Go and TypeScript clients cannot drift apart.
package contract
