package agonesv1

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestAddToSchemeRegistersEachKindInItsGroup(t *testing.T) {
	s := runtime.NewScheme()
	if err := AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		obj  runtime.Object
		want schema.GroupVersionKind
	}{
		{&GameServerAllocation{}, schema.GroupVersionKind{Group: "allocation.agones.dev", Version: "v1", Kind: "GameServerAllocation"}},
		{&GameServer{}, schema.GroupVersionKind{Group: "agones.dev", Version: "v1", Kind: "GameServer"}},
		{&GameServerList{}, schema.GroupVersionKind{Group: "agones.dev", Version: "v1", Kind: "GameServerList"}},
		{&GameServerSet{}, schema.GroupVersionKind{Group: "agones.dev", Version: "v1", Kind: "GameServerSet"}},
		{&GameServerSetList{}, schema.GroupVersionKind{Group: "agones.dev", Version: "v1", Kind: "GameServerSetList"}},
	} {
		t.Run(tc.want.Kind, func(t *testing.T) {
			gvks, _, err := s.ObjectKinds(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if len(gvks) != 1 || gvks[0] != tc.want {
				t.Errorf("registered as %v, want %v", gvks, tc.want)
			}
		})
	}
}
