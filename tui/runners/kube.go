package runners

import (
	"fmt"

	"github.com/lathe-ml/lathe/format"
	"github.com/lathe-ml/lathe/runners"
)

// kubeLines shows a Kubernetes runner's nodes (GPUs used of allocatable)
// and this workspace's pending pods with why they wait.
func kubeLines(s *Screen, k *runners.KubeInfo) []string {
	st := s.c.Styles
	var out []string
	if len(k.Nodes) == 0 {
		out = append(out, st.Muted.Render("    nodes: not visible to this user"))
	}
	barW := max(min(s.w-50, 20), 4)
	for _, n := range k.Nodes {
		ready := ""
		if !n.Ready {
			ready = "  not ready"
		}
		frac := 0.0
		if n.GPUAllocatable > 0 {
			frac = float64(n.GPUUsed) / float64(n.GPUAllocatable)
		}
		out = append(out, st.Text.Render(fmt.Sprintf("    %-20s gpu %s %d/%d%s", format.Clip(format.OneLine(n.Name), 20),
			Bar(frac, barW), n.GPUUsed, n.GPUAllocatable, ready)))
	}
	for _, p := range k.Pending {
		out = append(out, st.Error.UnsetBold().Render(fmt.Sprintf("    pending %s: %s", format.OneLine(p.RunID),
			format.Clip(format.OneLine(p.Reason), max(s.w-30, 20)))))
	}
	return out
}
