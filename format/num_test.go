package format

import (
	"math"
	"testing"
)

func TestNum(t *testing.T) {
	cases := []struct {
		v    float64
		want string
	}{
		{0, "0"}, {3750, "3,750"}, {-1234567, "-1,234,567"}, {39.1, "39.1"}, {0.33333333, "0.3333"},
		{1234.56, "1,234.6"}, {2.5e7 + 0.5, "2.5e+07"}, {2.5e7, "25,000,000"}, {0.0001234, "0.0001234"}, {math.NaN(), "–"}, {math.Inf(1), "+Inf"},
	}
	for _, c := range cases {
		if got := Num(c.v); got != c.want {
			t.Errorf("Num(%v) = %q, want %q", c.v, got, c.want)
		}
	}
}
