package config

import (
	"fmt"
	"strings"
)

// suggestion returns `; did you mean "x"?` naming the candidate nearest to
// word, or "" when none is close enough to be a plausible typo.
func suggestion(word string, candidates []string) string {
	if best := nearest(word, candidates); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

// nearest returns the candidate with the smallest edit distance to word,
// if that distance is small for the word's length (1 for up to 4 letters,
// then about a third of the length), else "". Ties go to the earlier candidate.
func nearest(word string, candidates []string) string {
	w := strings.ToLower(word)
	limit := 1
	if n := len([]rune(w)); n > 4 {
		limit = max(2, n/3)
	}
	best, bestD := "", limit+1
	for _, c := range candidates {
		d := osaDistance(w, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// osaDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions), Damerau 1964 / Boytsov 2011's restricted form.
func osaDistance(a, b string) int {
	x, y := []rune(a), []rune(b)
	d := make([][]int, len(x)+1)
	for i := range d {
		d[i] = make([]int, len(y)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(x); i++ {
		for j := 1; j <= len(y); j++ {
			cost := 1
			if x[i-1] == y[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && x[i-1] == y[j-2] && x[i-2] == y[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(x)][len(y)]
}
