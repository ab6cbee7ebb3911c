package agones

import (
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/apimachinery/pkg/runtime"
)

// Hand-written deep copies, as runtime.Object requires. Each copies every map
// and slice so that a copy shares no memory with its original.

var (
	_ runtime.Object = (*GameServerAllocation)(nil)
	_ runtime.Object = (*GameServer)(nil)
	_ runtime.Object = (*GameServerList)(nil)
)

// DeepCopyObject implements runtime.Object.
func (in *GameServerAllocation) DeepCopyObject() runtime.Object {
	if in == nil {
		return nil
	}
	return in.DeepCopy()
}

// DeepCopy returns a deep copy of in.
func (in *GameServerAllocation) DeepCopy() *GameServerAllocation {
	if in == nil {
		return nil
	}
	out := new(GameServerAllocation)
	in.DeepCopyInto(out)
	return out
}

// DeepCopyInto copies in into out.
func (in *GameServerAllocation) DeepCopyInto(out *GameServerAllocation) {
	*out = *in
	out.TypeMeta = in.TypeMeta
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	in.Spec.DeepCopyInto(&out.Spec)
	in.Status.DeepCopyInto(&out.Status)
}

// DeepCopyInto copies in into out.
func (in *GameServerAllocationSpec) DeepCopyInto(out *GameServerAllocationSpec) {
	*out = *in
	if in.Selectors != nil {
		out.Selectors = make([]GameServerSelector, len(in.Selectors))
		for i := range in.Selectors {
			in.Selectors[i].DeepCopyInto(&out.Selectors[i])
		}
	}
	out.Priorities = slices.Clone(in.Priorities)
	out.Metadata = in.Metadata.deepCopy()
	if in.Lists != nil {
		out.Lists = make(map[string]ListAction, len(in.Lists))
		for k, v := range in.Lists {
			var c ListAction
			v.DeepCopyInto(&c)
			out.Lists[k] = c
		}
	}
}

// DeepCopyInto copies in into out.
func (in *GameServerSelector) DeepCopyInto(out *GameServerSelector) {
	*out = *in
	out.MatchLabels = maps.Clone(in.MatchLabels)
	if in.MatchExpressions != nil {
		out.MatchExpressions = make([]metav1.LabelSelectorRequirement, len(in.MatchExpressions))
		for i := range in.MatchExpressions {
			in.MatchExpressions[i].DeepCopyInto(&out.MatchExpressions[i])
		}
	}
	out.Lists = maps.Clone(in.Lists) // ListSelector holds no references
}

// DeepCopyInto copies in into out.
func (in *ListAction) DeepCopyInto(out *ListAction) {
	*out = *in
	out.AddValues = slices.Clone(in.AddValues)
	out.DeleteValues = slices.Clone(in.DeleteValues)
	if in.Capacity != nil {
		c := *in.Capacity
		out.Capacity = &c
	}
}

// DeepCopyInto copies in into out.
func (in *GameServerAllocationStatus) DeepCopyInto(out *GameServerAllocationStatus) {
	*out = *in
	out.Ports = slices.Clone(in.Ports)
	out.Addresses = slices.Clone(in.Addresses)
	out.Metadata = in.Metadata.deepCopy()
	out.Lists = cloneLists(in.Lists)
}

func (in *GameServerMetadata) deepCopy() *GameServerMetadata {
	if in == nil {
		return nil
	}
	return &GameServerMetadata{Labels: maps.Clone(in.Labels), Annotations: maps.Clone(in.Annotations)}
}

func cloneLists(in map[string]ListStatus) map[string]ListStatus {
	if in == nil {
		return nil
	}
	out := make(map[string]ListStatus, len(in))
	for k, v := range in {
		out[k] = ListStatus{Capacity: v.Capacity, Values: slices.Clone(v.Values)}
	}
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *GameServer) DeepCopyObject() runtime.Object {
	if in == nil {
		return nil
	}
	return in.DeepCopy()
}

// DeepCopy returns a deep copy of in.
func (in *GameServer) DeepCopy() *GameServer {
	if in == nil {
		return nil
	}
	out := &GameServer{TypeMeta: in.TypeMeta, Status: in.Status}
	in.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Status.Ports = slices.Clone(in.Status.Ports)
	out.Status.Lists = cloneLists(in.Status.Lists)
	return out
}

// DeepCopyObject implements runtime.Object.
func (in *GameServerList) DeepCopyObject() runtime.Object {
	if in == nil {
		return nil
	}
	out := &GameServerList{TypeMeta: in.TypeMeta}
	in.ListMeta.DeepCopyInto(&out.ListMeta)
	if in.Items != nil {
		out.Items = make([]GameServer, len(in.Items))
		for i := range in.Items {
			out.Items[i] = *in.Items[i].DeepCopy()
		}
	}
	return out
}
