// Package deploy holds the checks of what ships Leapfrog: the Helm chart (rendered and validated against a
// real API server), the Dockerfile and the kind scripts; its tests run through hack/deploy-check.sh.
package deploy
