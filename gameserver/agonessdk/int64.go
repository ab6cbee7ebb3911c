package agonessdk

import (
	"bytes"
	"fmt"
	"strconv"
)

// Int64 is an int64 in the SDK's JSON form: protobuf's JSON mapping writes
// 64-bit integers as strings ("2"); plain numbers are accepted too.
type Int64 int64

// MarshalJSON writes the value as a JSON string.
func (n Int64) MarshalJSON() ([]byte, error) {
	return []byte(`"` + strconv.FormatInt(int64(n), 10) + `"`), nil
}

// UnmarshalJSON accepts "12", 12 and null.
func (n *Int64) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return nil
	}
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		b = b[1 : len(b)-1]
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("int64 value %q: %w", b, err)
	}
	*n = Int64(v)
	return nil
}
