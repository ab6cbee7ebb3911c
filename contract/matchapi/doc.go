// Package matchapi is the allocator's HTTP API: the JSON bodies of
// POST /v1/guest and POST /v1/match and of its error answers, declared once
// for the allocator, the Go client and (generated) the browser client.
package matchapi
