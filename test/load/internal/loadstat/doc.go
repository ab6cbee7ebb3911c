// Package loadstat reads the CPU, memory and load figures the load tools
// report, from /proc, and formats their counts.
package loadstat
