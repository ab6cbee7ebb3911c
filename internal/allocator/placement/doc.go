// Package placement is the in-memory engine that places players into matches on
// high-density game servers, in constant time per match.
package placement
