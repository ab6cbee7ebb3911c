// Package party is Fly Snatch, a party game for 3 to 8 frogs on a match:
// each round a fly shows after a random wait, the first frog to snap
// catches it, and a snap before the fly costs a point.
package party
