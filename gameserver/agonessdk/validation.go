package agonessdk

import (
	"regexp"
	"strings"
)

// Kubernetes' rules for label and annotation keys and label values, which
// the sidecar enforces before it accepts SetLabel and SetAnnotation.
var (
	qualifiedNamePart = regexp.MustCompile(`^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$`)
	dnsSubdomain      = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// qualifiedNameError returns why key is not a qualified name
// ([prefix/]name), or "".
func qualifiedNameError(key string) string {
	name := key
	if prefix, rest, ok := strings.Cut(key, "/"); ok {
		if prefix == "" || len(prefix) > 253 || !dnsSubdomain.MatchString(prefix) {
			return "prefix part must be a lowercase DNS subdomain"
		}
		name = rest
	}
	switch {
	case name == "":
		return "name part must be non-empty"
	case len(name) > 63:
		return "name part must be no more than 63 characters"
	case !qualifiedNamePart.MatchString(name):
		return "name part must consist of alphanumeric characters, '-', '_' or '.', " +
			"and must start and end with an alphanumeric character"
	}
	return ""
}

// labelValueError returns why v is not a valid label value, or "".
func labelValueError(v string) string {
	switch {
	case v == "":
		return ""
	case len(v) > 63:
		return "must be no more than 63 characters"
	case !qualifiedNamePart.MatchString(v):
		return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', " +
			"and must start and end with an alphanumeric character"
	}
	return ""
}
