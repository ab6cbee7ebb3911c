// Package kubetest starts a real kube-apiserver with the Agones CRDs for a test, or skips it.
package kubetest
