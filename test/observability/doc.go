// Package observability holds Leapfrog's alerting rules and dashboard to
// what the code exports: the chart's PrometheusRule under promtool's own
// checks and unit tests, and every metric and label that the rules and the
// dashboard query checked against the components' registries.
package observability
