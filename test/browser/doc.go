// Package browser drives the Mega Frog Race web client in Debian's real Chromium, headless, against
// local stacks started by its tests: online and living-room races, and the failure paths.
package browser
