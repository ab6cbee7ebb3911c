package agoneswire

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
)

// A high-density server's lobbies are its matches still waiting for players
// past the no-show window with empty seats, each with the players it holds:
// match id to player ids. An allocator gives the other seats of such a
// match to new players once their first players' tokens have expired.

// EncodeLobbies is the LobbiesAnnotation value of lobbies: a JSON object of
// match id to the sorted player ids, keys sorted; "" for none.
func EncodeLobbies(lobbies map[string][]string) string {
	if len(lobbies) == 0 {
		return ""
	}
	out := make(map[string][]string, len(lobbies))
	for _, id := range slices.Sorted(maps.Keys(lobbies)) {
		p := slices.Clone(lobbies[id])
		if p == nil {
			p = []string{}
		}
		slices.Sort(p)
		out[id] = p
	}
	b, err := json.Marshal(out) // map keys are sorted
	if err != nil {
		panic(fmt.Sprintf("encode lobbies: %v", err)) // strings always marshal
	}
	return string(b)
}

// DecodeLobbies reads a LobbiesAnnotation value; "" is none.
func DecodeLobbies(value string) (map[string][]string, error) {
	if value == "" {
		return nil, nil
	}
	var out map[string][]string
	if err := json.Unmarshal([]byte(value), &out); err != nil {
		return nil, fmt.Errorf("annotation %s: %w", LobbiesAnnotation, err)
	}
	return out, nil
}
