// Package script runs GameLift Realtime server scripts (Node.js CommonJS
// modules exporting ssExports) unchanged as realtime games, one goja runtime
// per session.
package script
