package agonesv1

import (
	"reflect"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/leapfrog-games/leapfrog/contract/agoneswire"
)

// The deep copies are generated; these tests hold them to what informers
// rely on: a copy shares no map, slice or pointer with its original, so a
// handler that edits an object from the cache cannot change the cache.

func fullAllocation() *GameServerAllocation {
	capacity := int64(2)
	return &GameServerAllocation{
		TypeMeta:   metav1.TypeMeta{APIVersion: AllocationGroupVersion.String(), Kind: "GameServerAllocation"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "games", Labels: map[string]string{"a": "b"}},
		Spec: GameServerAllocationSpec{
			Selectors: []GameServerSelector{{
				MatchLabels:      map[string]string{agoneswire.FleetLabel: "race"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "k", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"v"}}},
				GameServerState:  agoneswire.StateReady,
				Lists:            map[string]ListSelector{agoneswire.PlayersList: {MinAvailable: 1}},
			}},
			Priorities: []Priority{{Type: PriorityList, Key: agoneswire.PlayersList, Order: Ascending}},
			Metadata:   &GameServerMetadata{Labels: map[string]string{agoneswire.LesseeLabel: "r1"}, Annotations: map[string]string{agoneswire.LeaseRenewedAnnotation: "t"}},
			Lists:      map[string]ListAction{agoneswire.PlayersList: {AddValues: []string{"p1"}, DeleteValues: []string{"p0"}, Capacity: &capacity}},
		},
		Status: GameServerAllocationStatus{
			State:     GameServerAllocationAllocated,
			Ports:     []GameServerPort{{Name: "default", Port: 7000}},
			Addresses: []NodeAddress{{Type: "InternalIP", Address: "10.0.0.1"}},
			Metadata:  &GameServerMetadata{Labels: map[string]string{"l": "v"}, Annotations: map[string]string{"a": "v"}},
			Lists:     map[string]ListStatus{agoneswire.PlayersList: {Capacity: 2, Values: []string{"p1"}}},
		},
	}
}

func TestDeepCopySharesNothing(t *testing.T) {
	mutations := map[string]func(*GameServerAllocation){
		"labels":               func(g *GameServerAllocation) { g.Labels["a"] = "x" },
		"selector labels":      func(g *GameServerAllocation) { g.Spec.Selectors[0].MatchLabels[agoneswire.FleetLabel] = "x" },
		"selector expressions": func(g *GameServerAllocation) { g.Spec.Selectors[0].MatchExpressions[0].Values[0] = "x" },
		"selector lists":       func(g *GameServerAllocation) { g.Spec.Selectors[0].Lists[agoneswire.PlayersList] = ListSelector{} },
		"priorities":           func(g *GameServerAllocation) { g.Spec.Priorities[0].Order = Descending },
		"add values":           func(g *GameServerAllocation) { g.Spec.Lists[agoneswire.PlayersList].AddValues[0] = "x" },
		"delete values":        func(g *GameServerAllocation) { g.Spec.Lists[agoneswire.PlayersList].DeleteValues[0] = "x" },
		"list capacity":        func(g *GameServerAllocation) { *g.Spec.Lists[agoneswire.PlayersList].Capacity = 9 },
		"spec labels":          func(g *GameServerAllocation) { g.Spec.Metadata.Labels[agoneswire.LesseeLabel] = "x" },
		"spec annotations":     func(g *GameServerAllocation) { g.Spec.Metadata.Annotations[agoneswire.LeaseRenewedAnnotation] = "x" },
		"ports":                func(g *GameServerAllocation) { g.Status.Ports[0].Port = 1 },
		"addresses":            func(g *GameServerAllocation) { g.Status.Addresses[0].Address = "x" },
		"status labels":        func(g *GameServerAllocation) { g.Status.Metadata.Labels["l"] = "x" },
		"status annotation":    func(g *GameServerAllocation) { g.Status.Metadata.Annotations["a"] = "x" },
		"status values":        func(g *GameServerAllocation) { g.Status.Lists[agoneswire.PlayersList].Values[0] = "x" },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			orig := fullAllocation()
			cp, ok := orig.DeepCopyObject().(*GameServerAllocation)
			if !ok || !reflect.DeepEqual(cp, orig) {
				t.Fatalf("copy differs from the original: %+v", cp)
			}
			mutate(cp)
			if !reflect.DeepEqual(orig, fullAllocation()) {
				t.Errorf("changing the copy's %s changed the original", name)
			}
		})
	}
}

func fullGameServer() *GameServer {
	return &GameServer{
		TypeMeta:   metav1.TypeMeta{APIVersion: GroupVersion.String(), Kind: "GameServer"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "games", Name: "race-0", Labels: map[string]string{agoneswire.LesseeLabel: "r1"}},
		Status: GameServerStatus{
			State: agoneswire.StateAllocated, Address: "10.0.0.1",
			Ports: []GameServerPort{{Name: "default", Port: 7000}},
			Lists: map[string]ListStatus{agoneswire.MatchesList: {Capacity: 4, Values: []string{"a"}}},
		},
	}
}

func TestGameServerDeepCopySharesNothing(t *testing.T) {
	mutations := map[string]func(*GameServer){
		"labels": func(g *GameServer) { g.Labels[agoneswire.LesseeLabel] = "x" },
		"ports":  func(g *GameServer) { g.Status.Ports[0].Port = 1 },
		"lists":  func(g *GameServer) { g.Status.Lists[agoneswire.MatchesList].Values[0] = "x" },
	}
	for name, mutate := range mutations {
		t.Run(name, func(t *testing.T) {
			list := &GameServerList{Items: []GameServer{*fullGameServer()}}
			cp, ok := list.DeepCopyObject().(*GameServerList)
			if !ok || !reflect.DeepEqual(cp, list) {
				t.Fatalf("copy differs from the original: %+v", cp)
			}
			mutate(&cp.Items[0])
			if !reflect.DeepEqual(list.Items[0], *fullGameServer()) {
				t.Errorf("changing the copy's %s changed the original", name)
			}
		})
	}
}

func TestGameServerSetDeepCopySharesNothing(t *testing.T) {
	full := func() *GameServerSetList {
		return &GameServerSetList{Items: []GameServerSet{{ObjectMeta: metav1.ObjectMeta{
			Name: "race-abc", Labels: map[string]string{agoneswire.FleetLabel: "race"}, CreationTimestamp: metav1.Unix(1, 0),
		}}}}
	}
	list := full()
	cp, ok := list.DeepCopyObject().(*GameServerSetList)
	if !ok || !reflect.DeepEqual(cp, list) {
		t.Fatalf("copy differs from the original: %+v", cp)
	}
	cp.Items[0].Labels[agoneswire.FleetLabel] = "x"
	if !reflect.DeepEqual(list, full()) {
		t.Error("changing the copy's labels changed the original")
	}
}
