// Package token mints and verifies Leapfrog's signed tokens: guest identities
// and player sessions, HS256 JWTs whose keys carry ids so that keys can rotate.
package token
