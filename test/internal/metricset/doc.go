// Package metricset lists the metrics each Leapfrog component registers, by
// building the component's metrics the way its binary does and describing
// them, so that tests can hold dashboards and alerting rules to the names
// and labels the code really exports.
package metricset
