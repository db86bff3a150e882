package train

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func runTrainer(t *testing.T, args []string, e map[string]string) ([]map[string]float64, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, env(e), &out, &errb)
	var recs []map[string]float64
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var r map[string]float64
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs, errb.String(), code
}

func TestTrainsAndIsDeterministic(t *testing.T) {
	for _, args := range [][]string{
		{"--epochs", "150", "--lr", "0.5"},
		{"--epochs", "150", "--lr", "0.2", "--hidden", "8", "--act", "tanh", "--seed", "3"},
		{"--epochs", "150", "--lr", "0.1", "--hidden", "8", "--act", "relu", "--seed", "3"},
	} {
		a, _, code := runTrainer(t, args, nil)
		b, _, _ := runTrainer(t, args, nil)
		if code != 0 || len(a) != 150 {
			t.Fatalf("%v: exit %d, %d lines", args, code, len(a))
		}
		for i := range a {
			for _, k := range []string{"step", "train_loss", "val_loss", "val_accuracy", "model_params"} {
				if a[i][k] != b[i][k] {
					t.Fatalf("%v: epoch %d %s differs: %v vs %v", args, i+1, k, a[i][k], b[i][k])
				}
			}
			if a[i]["step"] != float64(i+1) {
				t.Fatalf("step %v", a[i]["step"])
			}
		}
		last := a[len(a)-1]
		// Penguin species are nearly linearly separable on these features:
		// logistic regression reaches ~99% (Horst et al., palmerpenguins).
		if last["val_accuracy"] < 0.95 || last["train_loss"] >= a[0]["train_loss"]/5 {
			t.Fatalf("%v: did not learn: first %v last %v", args, a[0], last)
		}
		if _, ok := last["train_seconds"]; !ok {
			t.Fatalf("no train_seconds on the last line")
		}
	}
	a, _, _ := runTrainer(t, []string{"--epochs", "1", "--hidden", "4", "--seed", "1"}, nil)
	b, _, _ := runTrainer(t, []string{"--epochs", "1", "--hidden", "4", "--seed", "2"}, nil)
	if a[0]["train_loss"] == b[0]["train_loss"] {
		t.Fatal("seed does not change the initialisation")
	}
	if a[0]["model_params"] != 9*4+4+4*3+3 {
		t.Fatalf("model_params %v", a[0]["model_params"])
	}
}

// TestGradients checks the analytic gradient of one step against central
// finite differences of the loss.
func TestGradients(t *testing.T) {
	train, _, err := loadData(env(nil), options{splitSeed: 42, valFrac: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	s := train.standardizer()
	x := s.apply(train.x[:40])
	y := oneHot(train.y[:40])
	for _, tc := range []struct {
		hidden int
		act    string
	}{{0, ""}, {5, "tanh"}, {5, "relu"}} {
		n := newNet(len(featureNames), tc.hidden, len(classes), tc.act, 7)
		weights := []*mat.Dense{n.w2}
		if n.w1 != nil {
			weights = append(weights, n.w1)
		}
		// Analytic: one step with lr=1 moves each weight by minus its gradient.
		before := []*mat.Dense{mat.DenseCopyOf(n.w2)}
		if n.w1 != nil {
			before = append(before, mat.DenseCopyOf(n.w1))
		}
		probe := newNet(len(featureNames), tc.hidden, len(classes), tc.act, 7)
		probeW := []*mat.Dense{probe.w2}
		if probe.w1 != nil {
			probeW = append(probeW, probe.w1)
		}
		n.step(x, y, 1)
		const eps = 1e-6
		for wi, w := range probeW {
			r, c := w.Dims()
			for i := 0; i < r; i += 2 {
				for j := 0; j < c; j++ {
					analytic := before[wi].At(i, j) - weights[wi].At(i, j)
					orig := w.At(i, j)
					w.Set(i, j, orig+eps)
					up := crossEntropy(probe.forward(x).probs, y)
					w.Set(i, j, orig-eps)
					down := crossEntropy(probe.forward(x).probs, y)
					w.Set(i, j, orig)
					numeric := (up - down) / (2 * eps)
					if math.Abs(analytic-numeric) > 1e-6+1e-4*math.Abs(numeric) {
						t.Fatalf("hidden=%d %s: w%d[%d,%d] analytic %g numeric %g", tc.hidden, tc.act, 2-wi, i, j, analytic, numeric)
					}
				}
			}
		}
	}
}

func TestInputsAndModelFile(t *testing.T) {
	dir := t.TempDir()
	hdr := "Species,Island,Beak Length (mm),Beak Depth (mm),Flipper Length (mm),Body Mass (g),Sex\n"
	trainCSV := hdr + "Adelie,Torgersen,39.1,18.7,181,3750,MALE\nGentoo,Biscoe,46.1,13.2,211,4500,FEMALE\nChinstrap,Dream,46.5,17.9,192,3500,FEMALE\nAdelie,Dream,NA,NA,NA,NA,\n"
	valJSONL := `{"Species":"Gentoo","Island":"Biscoe","Beak Length (mm)":50,"Beak Depth (mm)":15,"Flipper Length (mm)":220,"Body Mass (g)":5000,"Sex":"MALE"}` + "\n"
	tp, vp := filepath.Join(dir, "train.csv"), filepath.Join(dir, "val.jsonl")
	os.WriteFile(tp, []byte(trainCSV), 0o644)
	os.WriteFile(vp, []byte(valJSONL), 0o644)
	out := filepath.Join(dir, "out")
	recs, stderr, code := runTrainer(t, []string{"--epochs", "5"},
		map[string]string{"LATHE_INPUT_TRAIN": tp, "LATHE_INPUT_VAL": vp, "LATHE_OUTPUT_DIR": out})
	if code != 0 || len(recs) != 5 || !strings.Contains(stderr, "3 training and 1 validation rows") {
		t.Fatalf("exit %d, %d lines, stderr %q", code, len(recs), stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	var model struct {
		Kind    string
		Classes []string
		W2      [][]float64
	}
	if err := json.Unmarshal(b, &model); err != nil || model.Kind != "softmax" || len(model.W2) != 9 || len(model.Classes) != 3 {
		t.Fatalf("model %+v %v", model, err)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--lr", "-1"}, {"--act", "gelu"}, {"--epochs", "0"}, {"--nope"}} {
		if _, _, code := runTrainer(t, args, nil); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if _, stderr, code := runTrainer(t, nil, map[string]string{"LATHE_INPUT_TRAIN": "/x"}); code != 2 || !strings.Contains(stderr, "LATHE_INPUT_VAL") {
		t.Errorf("half the inputs: exit %d %q", code, stderr)
	}
}
