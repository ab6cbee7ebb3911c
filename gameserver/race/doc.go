// Package race is Mega Frog Race: its rules over explicit times, and the
// realtime.Game that plays them on the match machinery (realtime/match).
package race
