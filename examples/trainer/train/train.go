// Package train is Lathe's example training program: softmax regression
// (--hidden 0) or a one-hidden-layer MLP classifying Palmer penguins by
// species, trained with full-batch gradient descent on gonum matrices.
//
// It follows the run protocol (DESIGN §4): hyperparameters from flags, inputs
// from LATHE_INPUT_TRAIN / LATHE_INPUT_VAL (JSON array, JSON Lines or CSV with
// the penguins columns) or else a seeded split of the embedded data, one JSON
// metrics line per epoch on stdout, and the model written to
// $LATHE_OUTPUT_DIR/model.json.
//
// For a given seed every output is identical between runs except inference_ms,
// which is the wall-clock time of one pass over the validation set.
package train

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"
)

//go:embed data/penguins.json
var penguinsJSON []byte

// Main runs the trainer with command-line args and returns its exit status:
// 0 trained, 1 failed (diverged, cannot write the model), 2 bad flags or data.
// The trainer binary and the hidden `lathe trainer` command both call it, so
// the demo workspace can launch it with no Go toolchain and no Docker.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return run(args, getenv, stdout, stderr)
}

type options struct {
	lr        float64
	epochs    int
	hidden    int
	act       string
	seed      uint64
	splitSeed uint64
	valFrac   float64
	out       string
	pause     time.Duration
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("trainer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.Float64Var(&o.lr, "lr", 0.1, "learning rate")
	fs.IntVar(&o.epochs, "epochs", 100, "full-batch epochs")
	fs.IntVar(&o.hidden, "hidden", 0, "hidden units; 0 = softmax regression")
	fs.StringVar(&o.act, "act", "relu", "hidden activation: relu or tanh")
	fs.Uint64Var(&o.seed, "seed", 1, "seed for the weight initialisation")
	fs.Uint64Var(&o.splitSeed, "split-seed", 42, "seed of the train/validation split of the embedded data")
	fs.Float64Var(&o.valFrac, "val-fraction", 0.2, "validation share of the embedded data")
	fs.StringVar(&o.out, "out", "", "model file (default $LATHE_OUTPUT_DIR/model.json)")
	fs.DurationVar(&o.pause, "epoch-pause", 0, "sleep this long after each epoch (the demo uses it so curves grow visibly)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	switch {
	case !(o.lr > 0) || math.IsInf(o.lr, 0):
		return usage(stderr, "--lr must be a positive number")
	case o.epochs < 1:
		return usage(stderr, "--epochs must be at least 1")
	case o.hidden < 0:
		return usage(stderr, "--hidden must be 0 or more")
	case o.act != "relu" && o.act != "tanh":
		return usage(stderr, "--act must be relu or tanh")
	case !(o.valFrac > 0 && o.valFrac < 1):
		return usage(stderr, "--val-fraction must be between 0 and 1")
	}
	if o.out == "" && getenv("LATHE_OUTPUT_DIR") != "" {
		o.out = filepath.Join(getenv("LATHE_OUTPUT_DIR"), "model.json")
	}

	train, val, err := loadData(getenv, o)
	if err != nil {
		fmt.Fprintln(stderr, "trainer:", err)
		return 2
	}
	fmt.Fprintf(stderr, "trainer: %d training and %d validation rows, %d features\n", len(train.y), len(val.y), len(featureNames))
	m := train.standardizer()
	xtr, xva := m.apply(train.x), m.apply(val.x)
	net := newNet(len(featureNames), o.hidden, len(classes), o.act, o.seed)
	ytr := oneHot(train.y)
	enc := json.NewEncoder(stdout)
	start := time.Now()
	for epoch := 1; epoch <= o.epochs; epoch++ {
		trainLoss := net.step(xtr, ytr, o.lr)
		t0 := time.Now()
		probs := net.forward(xva).probs
		infMS := float64(time.Since(t0).Microseconds()) / 1000
		valLoss, valAcc := evaluate(probs, val.y)
		if math.IsNaN(trainLoss) || math.IsInf(trainLoss, 0) {
			fmt.Fprintf(stderr, "trainer: training diverged at epoch %d (loss %v); lower --lr\n", epoch, trainLoss)
			return 1
		}
		rec := map[string]any{"step": epoch, "train_loss": round(trainLoss), "val_loss": round(valLoss),
			"val_accuracy": round(valAcc), "inference_ms": infMS, "model_params": net.params()}
		if epoch == o.epochs {
			rec["train_seconds"] = time.Since(start).Seconds()
		}
		if err := enc.Encode(rec); err != nil {
			return 1
		}
		if o.pause > 0 && epoch < o.epochs {
			time.Sleep(o.pause)
		}
	}
	if o.out != "" {
		if err := net.save(o.out, m, o); err != nil {
			fmt.Fprintln(stderr, "trainer:", err)
			return 1
		}
		fmt.Fprintln(stderr, "trainer: model written to", o.out)
	}
	return 0
}

func usage(w io.Writer, msg string) int {
	fmt.Fprintln(w, "trainer:", msg)
	return 2
}

// round keeps 12 significant digits so metric lines stay short and stable.
func round(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	s, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	return s
}

// The features: four measurements, island one-hot, sex one-hot (a missing sex
// is all zeros). Rows missing a measurement or the species are dropped.
var (
	classes      = []string{"Adelie", "Chinstrap", "Gentoo"}
	islands      = []string{"Biscoe", "Dream", "Torgersen"}
	measurements = []string{"Beak Length (mm)", "Beak Depth (mm)", "Flipper Length (mm)", "Body Mass (g)"}
	featureNames = append(append(slices.Clone(measurements), "island=Biscoe", "island=Dream", "island=Torgersen"), "sex=MALE", "sex=FEMALE")
)

type dataset struct {
	x [][]float64
	y []int
}

type row map[string]any

func loadData(getenv func(string) string, o options) (train, val dataset, err error) {
	tp, vp := getenv("LATHE_INPUT_TRAIN"), getenv("LATHE_INPUT_VAL")
	if tp != "" || vp != "" {
		if tp == "" || vp == "" {
			return train, val, errors.New("set both LATHE_INPUT_TRAIN and LATHE_INPUT_VAL, or neither")
		}
		if train, err = readFile(tp); err != nil {
			return
		}
		val, err = readFile(vp)
		return
	}
	var rows []row
	if err = json.Unmarshal(penguinsJSON, &rows); err != nil {
		return
	}
	all := toDataset(rows)
	// A seeded shuffle, then the first val-fraction of each class is
	// validation (stratified, so rare Chinstraps are in both parts).
	rng := rand.New(rand.NewPCG(o.splitSeed, 0x9e3779b97f4a7c15))
	perm := rng.Perm(len(all.y))
	perClass := make([]int, len(classes))
	for _, c := range all.y {
		perClass[c]++
	}
	taken := make([]int, len(classes))
	for _, i := range perm {
		c := all.y[i]
		if float64(taken[c]) < math.Round(o.valFrac*float64(perClass[c])) {
			taken[c]++
			val.x, val.y = append(val.x, all.x[i]), append(val.y, c)
		} else {
			train.x, train.y = append(train.x, all.x[i]), append(train.y, c)
		}
	}
	return train, val, nil
}

func readFile(path string) (dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return dataset{}, err
	}
	var rows []row
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '[':
		err = json.Unmarshal(trimmed, &rows)
	case len(trimmed) > 0 && trimmed[0] == '{':
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var r row
			if err = json.Unmarshal(sc.Bytes(), &r); err != nil {
				break
			}
			rows = append(rows, r)
		}
	default:
		rows, err = readCSV(trimmed)
	}
	if err != nil {
		return dataset{}, fmt.Errorf("%s: %w", path, err)
	}
	d := toDataset(rows)
	if len(d.y) == 0 {
		return dataset{}, fmt.Errorf("%s: no usable penguin rows (need Species and the four measurements)", path)
	}
	return d, nil
}

func readCSV(b []byte) ([]row, error) {
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, err
	}
	var rows []row
	for _, rec := range recs[1:] {
		r := row{}
		for i, h := range recs[0] {
			if i >= len(rec) || rec[i] == "" || rec[i] == "NA" {
				continue
			}
			if f, err := strconv.ParseFloat(rec[i], 64); err == nil {
				r[h] = f
			} else {
				r[h] = rec[i]
			}
		}
		rows = append(rows, r)
	}
	return rows, nil
}

func toDataset(rows []row) dataset {
	var d dataset
	for _, r := range rows {
		c := slices.Index(classes, str(r["Species"]))
		if c < 0 {
			continue
		}
		x := make([]float64, 0, len(featureNames))
		ok := true
		for _, k := range measurements {
			v, isNum := r[k].(float64)
			if !isNum {
				ok = false
				break
			}
			x = append(x, v)
		}
		if !ok {
			continue
		}
		for _, is := range islands {
			x = append(x, b2f(str(r["Island"]) == is))
		}
		x = append(x, b2f(str(r["Sex"]) == "MALE"), b2f(str(r["Sex"]) == "FEMALE"))
		d.x, d.y = append(d.x, x), append(d.y, c)
	}
	return d
}

func str(v any) string { s, _ := v.(string); return strings.TrimSpace(s) }

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// scaler standardizes each feature with the training mean and (population)
// standard deviation.
type scaler struct{ Mean, Std []float64 }

func (d dataset) standardizer() scaler {
	n := len(featureNames)
	s := scaler{Mean: make([]float64, n), Std: make([]float64, n)}
	for _, x := range d.x {
		for j, v := range x {
			s.Mean[j] += v
		}
	}
	for j := range s.Mean {
		s.Mean[j] /= float64(len(d.x))
	}
	for _, x := range d.x {
		for j, v := range x {
			s.Std[j] += (v - s.Mean[j]) * (v - s.Mean[j])
		}
	}
	for j := range s.Std {
		s.Std[j] = math.Sqrt(s.Std[j] / float64(len(d.x)))
		if s.Std[j] == 0 {
			s.Std[j] = 1
		}
	}
	return s
}

func (s scaler) apply(xs [][]float64) *mat.Dense {
	m := mat.NewDense(len(xs), len(s.Mean), nil)
	for i, x := range xs {
		for j, v := range x {
			m.Set(i, j, (v-s.Mean[j])/s.Std[j])
		}
	}
	return m
}

func oneHot(y []int) *mat.Dense {
	m := mat.NewDense(len(y), len(classes), nil)
	for i, c := range y {
		m.Set(i, c, 1)
	}
	return m
}

// net is softmax regression (no hidden layer) or a one-hidden-layer MLP.
type net struct {
	act    string
	w1, w2 *mat.Dense // w1 nil for softmax regression
	b1, b2 []float64
}

func newNet(in, hidden, out int, act string, seed uint64) *net {
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	// He initialisation for relu, Glorot for tanh and the output layer
	// (He et al. 2015; Glorot & Bengio 2010).
	init := func(r, c int, scale float64) *mat.Dense {
		m := mat.NewDense(r, c, nil)
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				m.Set(i, j, rng.NormFloat64()*scale)
			}
		}
		return m
	}
	n := &net{act: act, b2: make([]float64, out)}
	last := in
	if hidden > 0 {
		scale := math.Sqrt(1 / float64(in))
		if act == "relu" {
			scale = math.Sqrt(2 / float64(in))
		}
		n.w1, n.b1 = init(in, hidden, scale), make([]float64, hidden)
		last = hidden
	}
	n.w2 = init(last, out, math.Sqrt(2/float64(last+out)))
	return n
}

func (n *net) params() int {
	p := 0
	if n.w1 != nil {
		r, c := n.w1.Dims()
		p += r*c + len(n.b1)
	}
	r, c := n.w2.Dims()
	return p + r*c + len(n.b2)
}

type pass struct {
	z1, a1 *mat.Dense // hidden pre-activation and activation (nil without a hidden layer)
	probs  *mat.Dense
}

func addBias(m *mat.Dense, b []float64) {
	r, c := m.Dims()
	for i := 0; i < r; i++ {
		row := m.RawRowView(i)
		for j := 0; j < c; j++ {
			row[j] += b[j]
		}
	}
}

func (n *net) forward(x *mat.Dense) pass {
	var p pass
	in := mat.Matrix(x)
	if n.w1 != nil {
		p.z1 = &mat.Dense{}
		p.z1.Mul(x, n.w1)
		addBias(p.z1, n.b1)
		p.a1 = &mat.Dense{}
		p.a1.Apply(func(_, _ int, v float64) float64 {
			if n.act == "tanh" {
				return math.Tanh(v)
			}
			return math.Max(0, v)
		}, p.z1)
		in = p.a1
	}
	logits := &mat.Dense{}
	logits.Mul(in, n.w2)
	addBias(logits, n.b2)
	r, _ := logits.Dims()
	for i := 0; i < r; i++ {
		row := logits.RawRowView(i)
		mx := slices.Max(row)
		sum := 0.0
		for j := range row {
			row[j] = math.Exp(row[j] - mx)
			sum += row[j]
		}
		for j := range row {
			row[j] /= sum
		}
	}
	p.probs = logits
	return p
}

// step does one full-batch gradient-descent step on the mean cross-entropy
// and returns the loss before the update.
func (n *net) step(x, y *mat.Dense, lr float64) float64 {
	p := n.forward(x)
	rows, _ := x.Dims()
	loss := crossEntropy(p.probs, y)
	// dL/dlogits = (probs - y) / rows for softmax with cross-entropy.
	g := &mat.Dense{}
	g.Sub(p.probs, y)
	g.Scale(1/float64(rows), g)
	in := mat.Matrix(x)
	if p.a1 != nil {
		in = p.a1
	}
	gw2 := &mat.Dense{}
	gw2.Mul(in.T(), g)
	gb2 := colSums(g)
	if n.w1 != nil {
		gh := &mat.Dense{}
		gh.Mul(g, n.w2.T())
		gh.Apply(func(i, j int, v float64) float64 {
			if n.act == "tanh" {
				a := p.a1.At(i, j)
				return v * (1 - a*a)
			}
			if p.z1.At(i, j) > 0 {
				return v
			}
			return 0
		}, gh)
		gw1 := &mat.Dense{}
		gw1.Mul(x.T(), gh)
		gb1 := colSums(gh)
		gw1.Scale(lr, gw1)
		n.w1.Sub(n.w1, gw1)
		for j := range n.b1 {
			n.b1[j] -= lr * gb1[j]
		}
	}
	gw2.Scale(lr, gw2)
	n.w2.Sub(n.w2, gw2)
	for j := range n.b2 {
		n.b2[j] -= lr * gb2[j]
	}
	return loss
}

func colSums(m *mat.Dense) []float64 {
	r, c := m.Dims()
	s := make([]float64, c)
	for i := 0; i < r; i++ {
		for j, v := range m.RawRowView(i) {
			s[j] += v
		}
	}
	return s
}

func crossEntropy(probs, y *mat.Dense) float64 {
	r, c := probs.Dims()
	loss := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if y.At(i, j) == 1 {
				loss -= math.Log(math.Max(probs.At(i, j), 1e-15))
			}
		}
	}
	return loss / float64(r)
}

func evaluate(probs *mat.Dense, y []int) (loss, acc float64) {
	correct := 0
	for i, c := range y {
		row := probs.RawRowView(i)
		loss -= math.Log(math.Max(row[c], 1e-15))
		if slices.Index(row, slices.Max(row)) == c {
			correct++
		}
	}
	return loss / float64(len(y)), float64(correct) / float64(len(y))
}

func (n *net) save(path string, s scaler, o options) error {
	dense := func(m *mat.Dense) [][]float64 {
		if m == nil {
			return nil
		}
		r, _ := m.Dims()
		out := make([][]float64, r)
		for i := range out {
			out[i] = slices.Clone(m.RawRowView(i))
		}
		return out
	}
	model := map[string]any{
		"kind": map[bool]string{true: "mlp", false: "softmax"}[n.w1 != nil], "activation": o.act,
		"features": featureNames, "classes": classes, "mean": s.Mean, "std": s.Std,
		"w1": dense(n.w1), "b1": n.b1, "w2": dense(n.w2), "b2": n.b2,
		"hyperparameters": map[string]any{"lr": o.lr, "epochs": o.epochs, "hidden": o.hidden, "seed": o.seed},
	}
	b, err := json.MarshalIndent(model, "", " ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
