package experiments

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Node kinds of the lineage graph.
const (
	KindDataset  = "dataset"
	KindRun      = "run"
	KindArtifact = "artifact"
	KindStudy    = "study"
)

// Edge kinds of the lineage graph.
const (
	EdgeUsed        = "used"         // dataset -> run
	EdgeProduced    = "produced"     // run -> artifact, or run -> dataset
	EdgeDerivedFrom = "derived_from" // source dataset -> derived dataset
	EdgeTrialOf     = "trial_of"     // study -> run
)

// Node names a lineage node: Kind and ID (a run id, or the decimal row id of
// a dataset version, artifact or study).
type Node struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

func (n Node) String() string { return n.Kind + ":" + n.ID }

// Edge is a lineage edge. Edges point downstream: From is the upstream node
// (the input, the source, the producer), To is what was made from or by it.
// So --up follows edges backwards and --down forwards, whatever their kind.
type Edge struct {
	ID        int64           `json:"-"`
	From      Node            `json:"from"`
	To        Node            `json:"to"`
	Kind      string          `json:"kind"`
	Operation string          `json:"operation,omitempty"` // e.g. "split"
	Params    json.RawMessage `json:"params,omitempty"`    // e.g. {"ratios":[0.8,0.2],"seed":7}
	Created   time.Time       `json:"created"`
}

var validKinds = map[string]bool{KindDataset: true, KindRun: true, KindArtifact: true, KindStudy: true}
var validEdgeKinds = map[string]bool{EdgeUsed: true, EdgeProduced: true, EdgeDerivedFrom: true, EdgeTrialOf: true}

// AddEdge records an edge. It is idempotent on (From, To, Kind): adding it
// again keeps the first operation and params.
func (s *Store) AddEdge(ctx context.Context, e Edge) error {
	err := s.write(ctx, func(tx *txn) error { return addEdge(ctx, tx, e) })
	if err != nil {
		return fmt.Errorf("add %s edge %s -> %s: %w", e.Kind, e.From, e.To, err)
	}
	return nil
}

func addEdge(ctx context.Context, tx *txn, e Edge) error {
	if !validKinds[e.From.Kind] || !validKinds[e.To.Kind] {
		return fmt.Errorf("lineage node kinds must be dataset, run, artifact or study (got %q -> %q)", e.From.Kind, e.To.Kind)
	}
	if !validEdgeKinds[e.Kind] {
		return fmt.Errorf("lineage edge kind must be used, produced, derived_from or trial_of (got %q)", e.Kind)
	}
	params := string(e.Params)
	if params == "" {
		params = "{}"
	} else if !json.Valid(e.Params) {
		return fmt.Errorf("edge params are not valid JSON")
	}
	created := e.Created
	if created.IsZero() {
		created = time.Now()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO edges (from_kind, from_id, to_kind, to_id, kind, operation, params, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (from_kind, from_id, to_kind, to_id, kind) DO NOTHING`,
		e.From.Kind, e.From.ID, e.To.Kind, e.To.ID, e.Kind, e.Operation, params, created.UnixNano())
	return err
}

// EdgesFrom returns the edges leaving n (one step downstream).
func (s *Store) EdgesFrom(ctx context.Context, n Node) ([]Edge, error) {
	return s.queryEdges(ctx, `WHERE from_kind = ? AND from_id = ?`, n.Kind, n.ID)
}

// EdgesTo returns the edges entering n (one step upstream).
func (s *Store) EdgesTo(ctx context.Context, n Node) ([]Edge, error) {
	return s.queryEdges(ctx, `WHERE to_kind = ? AND to_id = ?`, n.Kind, n.ID)
}

// edgesOf is EdgesTo when up, else EdgesFrom.
func (s *Store) edgesOf(ctx context.Context, n Node, up bool) ([]Edge, error) {
	if up {
		return s.EdgesTo(ctx, n)
	}
	return s.EdgesFrom(ctx, n)
}

// Walk returns the edges reachable from start going upstream (up=true,
// following edges backwards) or downstream, breadth first, at most depth
// steps (depth <= 0: unlimited). Each edge appears once; cycles terminate.
func (s *Store) Walk(ctx context.Context, start Node, up bool, depth int) ([]Edge, error) {
	seenNode := map[Node]bool{start: true}
	seenEdge := map[int64]bool{}
	var out []Edge
	frontier := []Node{start}
	for d := 0; len(frontier) > 0 && (depth <= 0 || d < depth); d++ {
		var next []Node
		for _, n := range frontier {
			es, err := s.edgesOf(ctx, n, up)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if seenEdge[e.ID] {
					continue
				}
				seenEdge[e.ID] = true
				out = append(out, e)
				other := e.To
				if up {
					other = e.From
				}
				if !seenNode[other] {
					seenNode[other] = true
					next = append(next, other)
				}
			}
		}
		frontier = next
	}
	return out, nil
}

func (s *Store) queryEdges(ctx context.Context, where string, args ...any) ([]Edge, error) {
	out, err := queryAll(ctx, s.db, scanEdge, `SELECT id, from_kind, from_id, to_kind, to_id, kind, operation, params, created
		FROM edges `+where+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("lineage edges: %w", err)
	}
	return out, nil
}

func scanEdge(sc scanner) (Edge, error) {
	var e Edge
	var params string
	var created int64
	if err := sc.Scan(&e.ID, &e.From.Kind, &e.From.ID, &e.To.Kind, &e.To.ID, &e.Kind, &e.Operation, &params, &created); err != nil {
		return e, err
	}
	e.Params = json.RawMessage(params)
	e.Created = time.Unix(0, created).UTC()
	return e, nil
}
