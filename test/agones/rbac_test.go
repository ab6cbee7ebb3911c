package agones

import (
	"bytes"
	"fmt"
	"os"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// TestAllocatorRunsWithItsServiceAccount checks what the allocator process
// holds: a kubeconfig with a token of the chart's ServiceAccount and nothing
// else, which the real API server knows as that ServiceAccount and lets do
// exactly what the chart's Role grants.
func TestAllocatorRunsWithItsServiceAccount(t *testing.T) {
	s := needRig(t)
	rel := s.main

	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", rel.Allocators[0].PID))
	if err != nil {
		t.Fatalf("read the allocator's environment: %v", err)
	}
	want := []byte("KUBECONFIG=" + rel.AllocatorKubeconfig)
	if n := bytes.Count(environ, []byte("KUBECONFIG=")); n != 1 || !bytes.Contains(environ, want) {
		t.Fatalf("the allocator's environment has %d KUBECONFIG entries, want only %s", n, want)
	}
	kc, err := clientcmd.LoadFromFile(rel.AllocatorKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range kc.AuthInfos {
		if auth.Token == "" || len(auth.ClientCertificateData) > 0 || auth.ClientCertificate != "" || auth.Username != "" {
			t.Errorf("credential %s of the allocator's kubeconfig is not a bare ServiceAccount token", name)
		}
	}

	cfg, err := clientcmd.BuildConfigFromFlags("", rel.AllocatorKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	who, err := cs.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := who.Status.UserInfo.Username, "system:serviceaccount:"+rel.Namespace+":"+rel.ServiceAccount; got != want {
		t.Fatalf("the API server knows the allocator as %q, want %q", got, want)
	}

	tests := []struct {
		group, resource, verb, namespace string
		allowed                          bool
	}{
		{"allocation.agones.dev", "gameserverallocations", "create", rel.Namespace, true},
		{"agones.dev", "gameservers", "get", rel.Namespace, true},
		{"agones.dev", "gameservers", "list", rel.Namespace, true},
		{"agones.dev", "gameservers", "watch", rel.Namespace, true},
		{"agones.dev", "gameservers", "update", rel.Namespace, false},
		{"agones.dev", "gameservers", "delete", rel.Namespace, false},
		{"agones.dev", "fleets", "patch", rel.Namespace, false},
		{"", "secrets", "get", rel.Namespace, false},
		{"", "pods", "list", rel.Namespace, false},
		{"allocation.agones.dev", "gameserverallocations", "create", "default", false},
		{"agones.dev", "gameservers", "list", "default", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s.%s in %s", tt.verb, tt.resource, tt.group, tt.namespace), func(t *testing.T) {
			review, err := cs.AuthorizationV1().SelfSubjectAccessReviews().Create(t.Context(), &authorizationv1.SelfSubjectAccessReview{
				Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
					Namespace: tt.namespace, Verb: tt.verb, Group: tt.group, Resource: tt.resource,
				}},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if review.Status.Allowed != tt.allowed {
				t.Errorf("allowed = %v, want %v (%s)", review.Status.Allowed, tt.allowed, review.Status.Reason)
			}
		})
	}
	// And for real: reading a Secret with the allocator's credential fails.
	if _, err := cs.CoreV1().Secrets(rel.Namespace).List(t.Context(), metav1.ListOptions{}); err == nil {
		t.Error("the allocator's token lists Secrets")
	}
}
