// Package dashboard reads the chart's Grafana dashboard JSON: its panels,
// their units and their queries with legends.
package dashboard
