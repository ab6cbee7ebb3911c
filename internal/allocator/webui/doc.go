// Package webui serves the Mega Frog Race browser client, a bundle built from web/ and embedded at compile time.
package webui
