// Package rig installs Leapfrog's Helm chart on a real Agones control plane
// running on this machine (../shared/realagones) and runs, as local processes,
// the parts of the chart that need a kubelet or an image registry.
package rig
