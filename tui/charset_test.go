package tui

import "testing"

func TestCharsetFromEnvironment(t *testing.T) {
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{}, ""},
		{map[string]string{"LANG": "en_US.UTF-8"}, ""},
		{map[string]string{"LANG": "de_DE.utf8"}, ""},
		{map[string]string{"LANG": "C"}, "ascii"},
		{map[string]string{"LANG": "en_US.UTF-8", "LC_ALL": "POSIX"}, "ascii"},
		{map[string]string{"LC_CTYPE": "en_US.ISO-8859-1", "LANG": "en_US.UTF-8"}, "ascii"},
		{map[string]string{"LATHE_CHARSET": "ascii", "LANG": "en_US.UTF-8"}, "ascii"},
		{map[string]string{"LATHE_CHARSET": "box"}, "box"},
		{map[string]string{"LATHE_CHARSET": "braille", "LANG": "C"}, ""},
	}
	for _, c := range cases {
		if got := Charset(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("%v: charset %q, want %q", c.env, got, c.want)
		}
	}
}
