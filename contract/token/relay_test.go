package token

import (
	"errors"
	"testing"
	"time"
)

func TestRelayCredential(t *testing.T) {
	keys, err := GenerateKeyset("k1")
	if err != nil {
		t.Fatal(err)
	}
	other, err := GenerateKeyset("k2")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	is := NewIssuer(keys, func() time.Time { return now })
	mint := func(t *testing.T, is *Issuer, addr, gs string) string {
		t.Helper()
		raw, err := is.MintRelay(addr, gs)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	player, _, err := is.MintPlayerSession("p1", "gs-1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		raw     string
		at      time.Time
		want    string
		wantErr error
	}{
		{"IPv4", mint(t, is, "203.0.113.7", "gs-1"), now, "203.0.113.7", nil},
		{"IPv6", mint(t, is, "2001:db8::7", "gs-1"), now, "2001:db8::7", nil},
		{"IPv4 in IPv6 is unmapped", mint(t, is, "::ffff:203.0.113.7", "gs-1"), now, "203.0.113.7", nil},
		{"within the leeway", mint(t, is, "203.0.113.7", "gs-1"), now.Add(RelayTTL + ClockSkewLeeway - time.Second), "203.0.113.7", nil},
		{"expired", mint(t, is, "203.0.113.7", "gs-1"), now.Add(RelayTTL + ClockSkewLeeway), "", ErrExpired},
		{"another game server's", mint(t, is, "203.0.113.7", "gs-2"), now, "", ErrWrongServer},
		{"signed with other keys", mint(t, NewIssuer(other, func() time.Time { return now }), "203.0.113.7", "gs-1"), now, "", ErrInvalid},
		{"a player session token", player, now, "", ErrInvalid},
		{"garbage", "not.a.credential", now, "", ErrInvalid},
		{"empty", "", now, "", ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := NewIssuer(keys, func() time.Time { return tc.at })
			got, err := v.VerifyRelay(tc.raw, "gs-1")
			if got != tc.want || !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("VerifyRelay = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	for _, bad := range []struct{ addr, gs string }{{"", "gs-1"}, {"unknown", "gs-1"}, {"203.0.113.7:443", "gs-1"}, {"203.0.113.7", ""}} {
		if _, err := is.MintRelay(bad.addr, bad.gs); err == nil {
			t.Errorf("MintRelay(%q, %q) minted a credential", bad.addr, bad.gs)
		}
	}
}

// A relay credential is not a player session token: the audiences differ.
func TestRelayCredentialIsNoPlayerToken(t *testing.T) {
	keys, err := GenerateKeyset("k1")
	if err != nil {
		t.Fatal(err)
	}
	is := NewIssuer(keys, nil)
	raw, err := is.MintRelay("203.0.113.7", "gs-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := is.VerifyPlayerSession(raw, "gs-1"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a relay credential as a player session token: %v, want ErrInvalid", err)
	}
}
