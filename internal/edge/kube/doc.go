// Package kube resolves game servers for the edge from a watch of the Fleets' GameServers in the Kubernetes API.
package kube
