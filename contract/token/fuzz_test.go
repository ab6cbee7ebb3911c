package token

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func FuzzVerifyGuest(f *testing.F) {
	ks, _ := NewKeyset("k1", key("k1", 1))
	is := NewIssuer(ks, func() time.Time { return now })
	raw, _, _ := is.MintGuest(time.Hour)
	f.Add(raw)
	f.Add(noneToken())
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		g, err := is.VerifyGuest(s)
		if err == nil {
			if g.PlayerID == "" {
				t.Fatalf("accepted %+v", g)
			}
			c, _ := is.verify(s, audienceGuest)
			verifyBoth(t, is, s, audienceGuest, c)
			return
		}
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// FuzzParseKeyset: any bytes either fail to parse or give a keyset whose
// key file parses back to the same keys.
func FuzzParseKeyset(f *testing.F) {
	good, _ := MarshalKeyFile("k1", key("k1", 1), key("k2", 2))
	f.Add(good)
	f.Add([]byte(`{"keys":[{"id":"a","secret":"` + "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0cw==" + `"}]}`))
	f.Add([]byte(`{"active":"x","keys":[]}`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		ks, err := ParseKeyset(data)
		if err != nil {
			return
		}
		var keys []Key
		for id, secret := range ks.keys {
			if len(secret) < MinSecretBytes || id == "" {
				t.Fatalf("accepted key %q with %d bytes", id, len(secret))
			}
			keys = append(keys, Key{ID: id, Secret: secret})
		}
		again, err := MarshalKeyFile(ks.ActiveKeyID(), keys...)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseKeyset(again)
		if err != nil {
			t.Fatalf("a parsed keyset does not parse back: %v", err)
		}
		if back.ActiveKeyID() != ks.ActiveKeyID() || len(back.keys) != len(ks.keys) {
			t.Fatalf("round trip changed the keyset")
		}
		for id, secret := range ks.keys {
			if !bytes.Equal(back.keys[id], secret) {
				t.Fatalf("round trip changed key %q", id)
			}
		}
	})
}
