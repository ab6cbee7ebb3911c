package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Tokens are JSON Web Tokens (RFC 7519) in JWS compact form (RFC 7515),
// signed with HMAC-SHA256 ("HS256"); the header names the signing key
// ("kid"). This file is the whole of that format as Leapfrog uses it: the
// allocator mints and checks a token on every match, and a general JWT
// library's maps, reflection and validators were a quarter of its CPU.

const algHS256 = "HS256"

// b64 is the JWS segment encoding: URL-safe base64 without padding, read
// strictly (no stray bits), so that a token has one spelling.
var b64 = base64.RawURLEncoding.Strict()

type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ,omitempty"`
}

// claims are the registered claims Leapfrog uses and its own: gs (the game
// server of a player session), match (its match on a high-density server) and
// race_start_by (the latest time that match may start).
type claims struct {
	GameServer   string       `json:"gs,omitempty"`
	Match        string       `json:"race,omitempty"`
	MatchStartBy *numericDate `json:"race_start_by,omitempty"`
	Issuer       string       `json:"iss,omitempty"`
	Subject      string       `json:"sub,omitempty"`
	Audience     audience     `json:"aud,omitempty"`
	ExpiresAt    *numericDate `json:"exp,omitempty"`
	NotBefore    *numericDate `json:"nbf,omitempty"`
	IssuedAt     *numericDate `json:"iat,omitempty"`
	ID           string       `json:"jti,omitempty"`
}

// numericDate is a JWT NumericDate: seconds since the epoch, written as an
// integer, read as any JSON number.
type numericDate struct{ time.Time }

func newNumericDate(t time.Time) *numericDate { return &numericDate{t.Truncate(time.Second)} }

func (d numericDate) MarshalJSON() ([]byte, error) {
	return strconv.AppendInt(nil, d.Unix(), 10), nil
}

func (d *numericDate) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1<<53 {
		return fmt.Errorf("NumericDate %s: not a number of seconds", b)
	}
	sec, frac := math.Modf(f)
	d.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
	return nil
}

// audience is the aud claim: one string or an array of them; written as an
// array.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return fmt.Errorf("aud: want a string or an array of strings: %w", err)
	}
	*a = ss
	return nil
}

func (a audience) contains(s string) bool {
	for _, v := range a {
		if v == s {
			return true
		}
	}
	return false
}

// sign makes the token of c, signed with the active key.
func (is *Issuer) sign(c *claims) (string, error) {
	kid := is.keys.active
	header := is.keys.headers[kid]
	payload, err := json.Marshal(c)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	n := len(header) + 1 + b64.EncodedLen(len(payload))
	buf := make([]byte, 0, n+1+b64.EncodedLen(sha256.Size))
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, payload)
	var sum [sha256.Size]byte
	mac := is.keys.sum(kid, sum[:0], buf)
	buf = append(buf, '.')
	buf = b64.AppendEncode(buf, mac)
	return string(buf), nil
}

// parse checks raw's form, its header and its signature, and returns its
// claims; any failure is a reason (the caller wraps it in ErrInvalid).
func (is *Issuer) parse(raw string) (*claims, error) {
	h, rest, ok := strings.Cut(raw, ".")
	p, s, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || strings.IndexByte(s, '.') >= 0 {
		return nil, errors.New("not three dot-separated segments")
	}
	// A header spelled as this keyset spells its own is known without
	// decoding it; any other spelling is read in full.
	kid, known := is.keys.segments[h]
	if !known {
		var hdr jwsHeader
		if err := decodeSegment(h, &hdr); err != nil {
			return nil, fmt.Errorf("header: %w", err)
		}
		if hdr.Alg != algHS256 {
			return nil, fmt.Errorf("signing method %q, want %s", hdr.Alg, algHS256)
		}
		if _, ok := is.keys.keys[hdr.Kid]; !ok {
			return nil, fmt.Errorf("unknown key id %q", hdr.Kid)
		}
		kid = hdr.Kid
	}
	// The length first: Decode writes as much as the input holds.
	var sig [sha256.Size]byte
	if len(s) != b64.EncodedLen(sha256.Size) {
		return nil, errors.New("signature is not an HS256 signature")
	}
	if n, err := b64.Decode(sig[:], []byte(s)); err != nil || n != sha256.Size {
		return nil, errors.New("signature is not an HS256 signature")
	}
	var want [sha256.Size]byte
	if !hmac.Equal(is.keys.sum(kid, want[:0], []byte(raw[:len(h)+1+len(p)])), sig[:]) {
		return nil, errors.New("signature is invalid")
	}
	var c claims
	if err := decodeSegment(p, &c); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	return &c, nil
}

// decodeSegment decodes one base64 segment holding one JSON object into v.
func decodeSegment(seg string, v any) error {
	data, err := b64.DecodeString(seg)
	if err != nil {
		return fmt.Errorf("not base64url: %w", err)
	}
	if len(data) == 0 || data[0] != '{' {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(data, v)
}

// validate checks c's registered claims at now: exp (required; past it, with
// the clock skew leeway, the token is ErrExpired), nbf and iat (not in the
// future), the issuer and the audience.
func validate(c *claims, now time.Time, aud string) error {
	if c.ExpiresAt == nil {
		return fmt.Errorf("%w: no expiry (exp)", ErrInvalid)
	}
	if !now.Before(c.ExpiresAt.Add(clockSkewLeeway)) {
		return fmt.Errorf("%w: expired at %s", ErrExpired, c.ExpiresAt.UTC().Format(time.RFC3339))
	}
	if c.NotBefore != nil && now.Add(clockSkewLeeway).Before(c.NotBefore.Time) {
		return fmt.Errorf("%w: not valid before %s", ErrInvalid, c.NotBefore.UTC().Format(time.RFC3339))
	}
	if c.IssuedAt != nil && now.Add(clockSkewLeeway).Before(c.IssuedAt.Time) {
		return fmt.Errorf("%w: issued in the future (%s)", ErrInvalid, c.IssuedAt.UTC().Format(time.RFC3339))
	}
	if c.Issuer != issuer {
		return fmt.Errorf("%w: issuer %q, want %q", ErrInvalid, c.Issuer, issuer)
	}
	if !c.Audience.contains(aud) {
		return fmt.Errorf("%w: audience %q, want %q", ErrInvalid, []string(c.Audience), aud)
	}
	return nil
}
