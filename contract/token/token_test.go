package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

var now = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func fixedIssuer(t *testing.T, active string, keys ...Key) *Issuer {
	t.Helper()
	ks, err := NewKeyset(active, keys...)
	if err != nil {
		t.Fatal(err)
	}
	return NewIssuer(ks, func() time.Time { return now })
}

func key(id string, b byte) Key {
	return Key{ID: id, Secret: []byte(strings.Repeat(string(rune('a'+b)), 32))}
}

func TestPlayerSession(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1))
	raw, ps, err := is.MintPlayerSession("p1", "gs-a", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := is.VerifyPlayerSession(raw, "gs-a")
	if err != nil || got.PlayerID != "p1" || got.GameServer != "gs-a" || got.ID != ps.ID || !got.ExpiresAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	later := NewIssuer(is.keys, func() time.Time { return now.Add(time.Minute + 6*time.Second) })
	otherKeys := fixedIssuer(t, "k1", key("k1", 2))
	guest, _, _ := is.MintGuest(time.Hour)
	tests := []struct {
		name   string
		issuer *Issuer
		raw    string
		server string
		want   error
	}{
		{"wrong server", is, raw, "gs-b", ErrWrongServer},
		{"expired", later, raw, "gs-a", ErrExpired},
		{"forged (other secret)", otherKeys, raw, "gs-a", ErrInvalid},
		{"guest token used as a session", is, guest, "gs-a", ErrInvalid},
		{"garbage", is, "a.b.c", "gs-a", ErrInvalid},
		{"empty", is, "", "gs-a", ErrInvalid},
		{"tampered", is, raw[:len(raw)-2] + "xx", "gs-a", ErrInvalid},
		{"alg none", is, noneToken(), "gs-a", ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.issuer.VerifyPlayerSession(tt.raw, tt.server); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestMatchSession(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1))
	raw, ps, err := is.MintMatchSession("p1", "gs-a", "r-7", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got, err := is.VerifyPlayerSession(raw, "gs-a")
	if err != nil || got.Match != "r-7" || got.ID != ps.ID || !got.IssuedAt.Equal(now.Truncate(time.Second)) {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	if _, err := is.VerifyPlayerSession(raw, "gs-b"); !errors.Is(err, ErrWrongServer) {
		t.Errorf("other server: err = %v, want %v", err, ErrWrongServer)
	}
	plain, _, _ := is.MintPlayerSession("p1", "gs-a", time.Minute)
	if got, err := is.VerifyPlayerSession(plain, "gs-a"); err != nil || got.Match != "" {
		t.Errorf("a one-race token reads as match %q, %v", got.Match, err)
	}
	if _, _, err := is.MintMatchSession("p1", "gs-a", strings.Repeat("r", 64), time.Minute); err == nil {
		t.Error("a 64-byte match id was minted")
	}
}

// A match's start deadline travels in the token as race_start_by, in whole
// seconds; a token without it (minted before the claim) reads as zero, and
// the claim without a match is refused both ways.
func TestMatchStartBy(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1))
	startBy := now.Add(90*time.Second + 300*time.Millisecond)
	raw, ps, err := is.MintMatchSeat("p1", "gs-a", "r-7", startBy, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := startBy.Truncate(time.Second)
	if !ps.MatchStartBy.Equal(want) {
		t.Fatalf("minted MatchStartBy %v, want %v", ps.MatchStartBy, want)
	}
	got, err := is.VerifyPlayerSession(raw, "gs-a")
	if err != nil || !got.MatchStartBy.Equal(want) || got.Match != "r-7" {
		t.Fatalf("verify = %+v, %v; want match r-7 starting by %v", got, err, want)
	}
	old, _, _ := is.MintMatchSession("p1", "gs-a", "r-7", time.Minute)
	if got, err := is.VerifyPlayerSession(old, "gs-a"); err != nil || !got.MatchStartBy.IsZero() {
		t.Fatalf("a token without the claim: %+v, %v; want a zero MatchStartBy", got, err)
	}
	if _, _, err := is.MintMatchSeat("p1", "gs-a", "", startBy, time.Minute); err == nil {
		t.Error("a start deadline without a match was minted")
	}
	noMatch := libMint(t, is, "k1", jwt.SigningMethodHS256, jwt.MapClaims{"iss": issuer, "sub": "p1", "aud": audiencePlayer,
		"gs": "gs-a", "race_start_by": now.Unix(), "exp": now.Add(time.Minute).Unix()})
	if _, err := is.VerifyPlayerSession(noMatch, "gs-a"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a signed race_start_by without a match: err = %v, want %v", err, ErrInvalid)
	}
}

func noneToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT","kid":"k1"}`)) + "." +
		enc([]byte(`{"iss":"leapfrog","sub":"p","aud":["leapfrog/player-session"],"gs":"gs-a","exp":9999999999}`)) + "."
}

func TestRotation(t *testing.T) {
	old := fixedIssuer(t, "k1", key("k1", 1))
	raw, _, _ := old.MintPlayerSession("p", "gs", time.Minute)
	rotated := fixedIssuer(t, "k2", key("k1", 1), key("k2", 2))
	if _, err := rotated.VerifyPlayerSession(raw, "gs"); err != nil {
		t.Fatalf("a token of the previous key failed after rotation: %v", err)
	}
	fresh, _, _ := rotated.MintPlayerSession("p", "gs", time.Minute)
	if _, err := old.VerifyPlayerSession(fresh, "gs"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a server without the new key accepted it: %v", err)
	}
	retired := fixedIssuer(t, "k2", key("k2", 2))
	if _, err := retired.VerifyPlayerSession(raw, "gs"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a retired key still verifies: %v", err)
	}
}

func TestGuest(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1))
	raw, g, err := is.MintGuest(time.Hour)
	if err != nil || !strings.HasPrefix(g.PlayerID, "guest-") {
		t.Fatalf("mint = %+v, %v", g, err)
	}
	got, err := is.VerifyGuest(raw)
	if err != nil || got.PlayerID != g.PlayerID {
		t.Fatalf("verify = %+v, %v", got, err)
	}
	ps, _, _ := is.MintPlayerSession("p", "gs", time.Minute)
	if _, err := is.VerifyGuest(ps); !errors.Is(err, ErrInvalid) {
		t.Errorf("a player session passed as a guest: %v", err)
	}
}

func TestParseKeyset(t *testing.T) {
	good, _ := MarshalKeyFile("b", key("a", 1), key("b", 2))
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{"good", string(good), false},
		{"single key, no active", `{"keys":[{"id":"a","secret":"` + base64.StdEncoding.EncodeToString(key("a", 1).Secret) + `"}]}`, false},
		{"short secret", `{"active":"a","keys":[{"id":"a","secret":"c2hvcnQ="}]}`, true},
		{"unknown field", `{"active":"a","keys":[],"extra":1}`, true},
		{"active missing", `{"active":"z","keys":[{"id":"a","secret":"` + base64.StdEncoding.EncodeToString(key("a", 1).Secret) + `"}]}`, true},
		{"not base64", `{"active":"a","keys":[{"id":"a","secret":"!!"}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseKeyset([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

func FuzzVerifyPlayerSession(f *testing.F) {
	ks, _ := NewKeyset("k1", key("k1", 1))
	is := NewIssuer(ks, func() time.Time { return now })
	raw, _, _ := is.MintPlayerSession("p", "gs", time.Minute)
	f.Add(raw)
	f.Add(noneToken())
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		ps, err := is.VerifyPlayerSession(s, "gs")
		if err == nil {
			if ps.PlayerID == "" || ps.GameServer != "gs" {
				t.Fatalf("accepted %+v", ps)
			}
			c, _ := is.verify(s, audiencePlayer)
			verifyBoth(t, is, s, audiencePlayer, c)
			return
		}
		if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrWrongServer) {
			t.Fatalf("untyped error %v", err)
		}
	})
}

// TestClaimNamesAcrossAnUpgrade pins the player session's wire names: the
// framework calls a race a match, but its token claims stay "race" and
// "race_start_by", so tokens in flight while allocators and game servers
// are upgraded in either order are read by both sides.
func TestClaimNamesAcrossAnUpgrade(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1))
	startBy := now.Add(time.Minute)
	// As the release before the rename minted it, with another JSON library.
	before := libMint(t, is, "k1", jwt.SigningMethodHS256, jwt.MapClaims{"iss": issuer, "sub": "p1", "aud": audiencePlayer,
		"gs": "gs-a", "jti": "j1", "race": "r-9", "race_start_by": startBy.Unix(), "exp": now.Add(time.Minute).Unix()})
	got, err := is.VerifyPlayerSession(before, "gs-a")
	if err != nil || got.Match != "r-9" || !got.MatchStartBy.Equal(startBy.Truncate(time.Second)) {
		t.Fatalf("a token of the release before: %+v, %v; want match r-9 starting by %v", got, err, startBy)
	}
	// As this release mints it: the names an older game server reads.
	raw, _, err := is.MintMatchSeat("p1", "gs-a", "r-9", startBy, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["race"] != "r-9" || claims["race_start_by"] != float64(startBy.Unix()) {
		t.Fatalf("minted claims %v: want race r-9 and race_start_by %d", claims, startBy.Unix())
	}
	if _, ok := claims["match"]; ok {
		t.Errorf("minted claims %v carry a name older game servers do not read", claims)
	}
}
