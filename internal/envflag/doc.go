// Package envflag lets every command-line flag be set from the environment
// too, as PREFIX_FLAG_NAME, with the command line taking precedence.
package envflag
