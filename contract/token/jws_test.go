package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The tokens are checked against an independent JWT implementation
// (golang-jwt, a test dependency only): what Leapfrog mints, it reads as a
// standard HS256 JWT, and what it accepts, it accepts too.

// libClaims is the claims of a Leapfrog token as golang-jwt reads them.
type libClaims struct {
	GameServer string `json:"gs,omitempty"`
	Match      string `json:"race,omitempty"`
	jwt.RegisteredClaims
}

// libVerify verifies raw with golang-jwt, with the rules Leapfrog applies.
func libVerify(is *Issuer, raw, aud string) (*libClaims, error) {
	var c libClaims
	_, err := jwt.ParseWithClaims(raw, &c, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		secret, ok := is.keys.keys[kid]
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return secret, nil
	},
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithAudience(aud), jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithLeeway(clockSkewLeeway), jwt.WithTimeFunc(is.now))
	if err == nil && c.Subject == "" {
		err = errors.New("no subject")
	}
	return &c, err
}

// libMint signs c with golang-jwt under key kid of is (alg: HS256 unless
// method says otherwise).
func libMint(t *testing.T, is *Issuer, kid string, method jwt.SigningMethod, c jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(is.keys.keys[kid])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMintedTokensAreStandardJWTs(t *testing.T) {
	is := fixedIssuer(t, "k2", key("k1", 1), key("k2", 2))
	raw, ps, err := is.MintMatchSession("p1", "gs-a", "race-7", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c, err := libVerify(is, raw, audiencePlayer)
	if err != nil {
		t.Fatalf("golang-jwt refuses a minted player session: %v", err)
	}
	if c.Subject != "p1" || c.GameServer != "gs-a" || c.Match != "race-7" || c.ID != ps.ID || c.Issuer != issuer ||
		!c.ExpiresAt.Equal(ps.ExpiresAt) || !c.IssuedAt.Equal(ps.IssuedAt) {
		t.Fatalf("golang-jwt reads %+v, minted %+v", c, ps)
	}
	guest, g, _ := is.MintGuest(time.Hour)
	if c, err := libVerify(is, guest, audienceGuest); err != nil || c.Subject != g.PlayerID {
		t.Fatalf("golang-jwt reads the guest as %+v, %v", c, err)
	}
	// The header: the algorithm, the key, the type.
	h, _, _ := strings.Cut(raw, ".")
	if hdr, _ := base64.RawURLEncoding.DecodeString(h); string(hdr) != `{"alg":"HS256","kid":"k2","typ":"JWT"}` {
		t.Errorf("header %s", hdr)
	}
}

func TestVerifiesTokensOfAnotherJWTImplementation(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1), key("k2", 2))
	reg := func(change func(*libClaims)) libClaims {
		c := libClaims{GameServer: "gs-a", RegisteredClaims: jwt.RegisteredClaims{
			Issuer: issuer, Subject: "p1", Audience: jwt.ClaimStrings{audiencePlayer},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(time.Minute)), ID: "id-1",
		}}
		if change != nil {
			change(&c)
		}
		return c
	}
	hs256 := jwt.SigningMethodHS256
	tests := []struct {
		name string
		raw  string
		want error // nil: accepted
	}{
		{"as minted here", libMint(t, is, "k1", hs256, reg(nil)), nil},
		{"a rotated-out key still known", libMint(t, is, "k2", hs256, reg(nil)), nil},
		{"aud as a single string", libMint(t, is, "k1", hs256, jwt.MapClaims{
			"iss": issuer, "sub": "p1", "aud": audiencePlayer, "gs": "gs-a", "exp": now.Add(time.Minute).Unix()}), nil},
		{"fractional times", libMint(t, is, "k1", hs256, jwt.MapClaims{
			"iss": issuer, "sub": "p1", "aud": []string{"x", audiencePlayer}, "gs": "gs-a",
			"exp": float64(now.Unix()) + 60.5, "iat": float64(now.Unix()) - 0.25}), nil},
		{"issued within the leeway ahead", libMint(t, is, "k1", hs256, reg(func(c *libClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(clockSkewLeeway))
		})), nil},
		{"expired less than the leeway ago", libMint(t, is, "k1", hs256, reg(func(c *libClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-clockSkewLeeway + time.Second))
		})), nil},
		{"expired the leeway ago", libMint(t, is, "k1", hs256, reg(func(c *libClaims) {
			c.ExpiresAt = jwt.NewNumericDate(now.Add(-clockSkewLeeway))
		})), ErrExpired},
		{"issued in the future", libMint(t, is, "k1", hs256, reg(func(c *libClaims) {
			c.IssuedAt = jwt.NewNumericDate(now.Add(clockSkewLeeway + time.Second))
		})), ErrInvalid},
		{"not valid yet", libMint(t, is, "k1", hs256, reg(func(c *libClaims) {
			c.NotBefore = jwt.NewNumericDate(now.Add(time.Minute))
		})), ErrInvalid},
		{"no expiry", libMint(t, is, "k1", hs256, reg(func(c *libClaims) { c.ExpiresAt = nil })), ErrInvalid},
		{"another issuer", libMint(t, is, "k1", hs256, reg(func(c *libClaims) { c.Issuer = "someone" })), ErrInvalid},
		{"another audience", libMint(t, is, "k1", hs256, reg(func(c *libClaims) { c.Audience = jwt.ClaimStrings{audienceGuest} })), ErrInvalid},
		{"no subject", libMint(t, is, "k1", hs256, reg(func(c *libClaims) { c.Subject = "" })), ErrInvalid},
		{"HS512 with the same secret", libMint(t, is, "k1", jwt.SigningMethodHS512, reg(nil)), ErrInvalid},
		{"HS384 with the same secret", libMint(t, is, "k1", jwt.SigningMethodHS384, reg(nil)), ErrInvalid},
		{"aud not strings", libMint(t, is, "k1", hs256, jwt.MapClaims{
			"iss": issuer, "sub": "p1", "aud": []int{1}, "gs": "gs-a", "exp": now.Add(time.Minute).Unix()}), ErrInvalid},
		{"exp not a number", libMint(t, is, "k1", hs256, jwt.MapClaims{
			"iss": issuer, "sub": "p1", "aud": audiencePlayer, "gs": "gs-a", "exp": "soon"}), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, libErr := libVerify(is, tt.raw, audiencePlayer); (libErr == nil) != (tt.want == nil) {
				t.Errorf("golang-jwt disagrees: %v", libErr)
			}
			ps, err := is.VerifyPlayerSession(tt.raw, "gs-a")
			switch {
			case tt.want == nil && (err != nil || ps.PlayerID != "p1"):
				t.Fatalf("refused: %+v %v", ps, err)
			case tt.want != nil && !errors.Is(err, tt.want):
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// A token changed in any way after it was signed is refused.
func TestRefusesAlteredTokens(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1))
	raw, _, _ := is.MintPlayerSession("p1", "gs-a", time.Minute)
	h, rest, _ := strings.Cut(raw, ".")
	p, s, _ := strings.Cut(rest, ".")
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := base64.RawURLEncoding.DecodeString(p)
	other := enc([]byte(strings.Replace(string(claims), `"sub":"p1"`, `"sub":"p2"`, 1)))
	hdr := func(json string) string { return enc([]byte(json)) }
	// The last character of a 32-byte signature carries two unused bits:
	// setting one spells the same bytes another way.
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	last := strings.IndexByte(alphabet, s[len(s)-1])
	respelled := s[:len(s)-1] + string(alphabet[last|1])
	for name, bad := range map[string]string{
		"claims changed":            h + "." + other + "." + s,
		"header changed":            hdr(`{"alg":"HS256","kid":"k1"}`) + "." + p + "." + s,
		"signature cut":             h + "." + p + "." + s[:len(s)-1],
		"signature padded":          h + "." + p + "." + s + "=",
		"signature respelled":       h + "." + p + "." + respelled,
		"signature empty":           h + "." + p + ".",
		"signature too long":        h + "." + p + "." + s + "AAAA",
		"four segments":             raw + ".x",
		"two segments":              h + "." + p,
		"alg none, no signature":    hdr(`{"alg":"none","kid":"k1"}`) + "." + p + ".",
		"unknown key":               hdr(`{"alg":"HS256","kid":"k9"}`) + "." + p + "." + s,
		"header not an object":      hdr(`"HS256"`) + "." + p + "." + s,
		"header with trailing data": hdr(`{"alg":"HS256","kid":"k1"}{}`) + "." + p + "." + s,
		"claims not base64":         h + ".!!." + s,
		"standard base64":           strings.NewReplacer("-", "+", "_", "/").Replace(raw),
	} {
		if bad == raw {
			continue // no URL-safe characters to replace in this token
		}
		if _, err := is.VerifyPlayerSession(bad, "gs-a"); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
}

// verifyBoth checks that whatever Leapfrog accepts, golang-jwt accepts too,
// with the same claims: the fuzz targets below call it on every input.
func verifyBoth(t *testing.T, is *Issuer, raw, aud string, ours *claims) {
	t.Helper()
	lib, err := libVerify(is, raw, aud)
	if err != nil {
		t.Fatalf("accepted a token golang-jwt refuses (%v): %q", err, raw)
	}
	if lib.Subject != ours.Subject || lib.GameServer != ours.GameServer || lib.Match != ours.Match || lib.ID != ours.ID ||
		!lib.ExpiresAt.Equal(ours.ExpiresAt.Time) {
		t.Fatalf("claims differ: golang-jwt %+v, here %+v", lib, ours)
	}
}

// A header spelled as Leapfrog spells its own is recognised without being
// decoded; any other spelling of the same header is read in full, and
// verifies the same.
func TestReadsAnyHeaderSpelling(t *testing.T) {
	is := fixedIssuer(t, "k1", key("k1", 1), key("k2", 2))
	raw, _, _ := is.MintPlayerSession("p1", "gs-a", time.Minute)
	_, rest, _ := strings.Cut(raw, ".")
	p, _, _ := strings.Cut(rest, ".")
	resign := func(header, kid string) string {
		signing := base64.RawURLEncoding.EncodeToString([]byte(header)) + "." + p
		mac := hmac.New(sha256.New, is.keys.keys[kid])
		mac.Write([]byte(signing))
		return signing + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	}
	for _, tt := range []struct {
		header, kid string
		ok          bool
	}{
		{`{"alg":"HS256","kid":"k1","typ":"JWT"}`, "k1", true}, // Leapfrog's own
		{`{"kid":"k1","alg":"HS256"}`, "k1", true},
		{`{"typ":"JWT", "alg":"HS256","kid":"k2"}`, "k2", true},
		{`{"alg":"HS256","kid":"k2","typ":"JWT"}`, "k1", false}, // k2's header, k1's signature
		{`{"kid":"k1","alg":"HS256"}`, "k2", false},
		{`{"alg":"HS384","kid":"k1"}`, "k1", false},
	} {
		ps, err := is.VerifyPlayerSession(resign(tt.header, tt.kid), "gs-a")
		if tt.ok && (err != nil || ps.PlayerID != "p1") {
			t.Errorf("header %s signed with %s: refused: %v", tt.header, tt.kid, err)
		}
		if !tt.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("header %s signed with %s: err = %v, want ErrInvalid", tt.header, tt.kid, err)
		}
	}
}
