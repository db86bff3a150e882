package optimizer

import "math"

// outTransform is a monotone map applied to a modelled quantity before the
// GP sees it.
type outTransform struct {
	kind   string // "", "log", "yj"
	m1, s1 float64
	lambda float64
	shift  float64
}

func (t outTransform) apply(y float64) float64 {
	switch t.kind {
	case "log":
		return math.Log(y - t.shift)
	case "yj":
		return yeoJohnson((y-t.m1)/t.s1, t.lambda)
	}
	return y
}

func yeoJohnson(x, l float64) float64 {
	if x >= 0 {
		if math.Abs(l) < 1e-8 {
			return math.Log1p(x)
		}
		return (math.Pow(x+1, l) - 1) / l
	}
	if math.Abs(l-2) < 1e-8 {
		return -math.Log1p(-x)
	}
	return -(math.Pow(1-x, 2-l) - 1) / (2 - l)
}

// fitYeoJohnson picks λ by maximum likelihood on a grid (the profile
// likelihood is smooth and one-dimensional) for standardized values.
func fitYeoJohnson(y []float64) outTransform {
	z, m, s := standardize(y)
	best, bl := math.Inf(-1), 1.0
	for l := -1.0; l <= 3.0001; l += 0.1 {
		var sum, sum2, jac float64
		for _, v := range z {
			t := yeoJohnson(v, l)
			sum += t
			sum2 += t * t
			jac += math.Copysign(1, v) * math.Log1p(math.Abs(v))
		}
		n := float64(len(z))
		va := sum2/n - (sum/n)*(sum/n)
		if !(va > 0) {
			continue
		}
		ll := -0.5*n*math.Log(va) + (l-1)*jac
		if ll > best {
			best, bl = ll, l
		}
	}
	return outTransform{kind: "yj", m1: m, s1: s, lambda: bl}
}
