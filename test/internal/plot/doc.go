// Package plot draws time series as a PNG line chart with a title, the
// y-axis range and a legend, so that the series a test evaluated can be
// looked at without a dashboard tool.
package plot
