package optimizer

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/lathe-ml/lathe/config"
)

// FuzzSpec feeds arbitrary text to the study spec parser. Whatever it gets,
// ParseSpecBytes must not panic and must refuse with a *config.InputError;
// a spec it accepts must build a study that can ask, and must survive a
// round trip through JSON unchanged. The seed corpus is
// testdata/fuzz/FuzzSpec (run by plain `go test`).
func FuzzSpec(f *testing.F) {
	f.Add([]byte("name: s\nparameters:\n  - {name: x, type: double, bounds: {min: 0, max: 1}}\nmetrics:\n  - {name: loss, objective: minimize}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpecBytes("fuzz.yaml", data)
		if err != nil {
			var ie *config.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error is not an InputError: %T %v", err, err)
			}
			return
		}
		js, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal accepted spec: %v", err)
		}
		back, err := ParseSpecBytes("fuzz.json", js)
		if err != nil {
			t.Fatalf("accepted spec refused after a JSON round trip: %v\n%s", err, js)
		}
		if !reflect.DeepEqual(normSpec(s), normSpec(back)) {
			t.Fatalf("round trip changed the spec:\n%+v\n%+v", s, back)
		}
		st, err := NewStudy(s)
		if err != nil {
			t.Fatalf("NewStudy on an accepted spec: %v", err)
		}
		ts, err := st.Ask(2)
		if err != nil && !errors.Is(err, ErrExhausted) {
			t.Fatalf("ask: %v", err)
		}
		for _, tr := range ts {
			if _, err := st.sp.encode(tr.Params); err != nil {
				t.Fatalf("suggestion %v does not encode: %v", tr.Params, err)
			}
		}
	})
}

// normSpec makes empty and nil collections compare equal.
func normSpec(s Spec) Spec {
	js, _ := json.Marshal(s)
	var out Spec
	_ = json.Unmarshal(js, &out)
	return out
}
