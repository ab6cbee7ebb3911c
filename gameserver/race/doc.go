// Package race is Mega Frog Race: the rules as a clock-driven model, and the
// realtime.Game that plays them with two connected players.
package race
