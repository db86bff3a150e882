package experiments

import (
	"math"
	"net/url"
	"strings"
)

// Redacted replaces a secret value in a stored environment.
const Redacted = "[redacted]"

// secretWords are name parts (split on _ - .) that mark a variable as secret.
// Whole parts only, so PASSWORD_FILE and AWS_SECRET_ACCESS_KEY match but
// KEYBOARD_LAYOUT does not; PWD (the working directory) is deliberately absent.
var secretWords = map[string]bool{
	"SECRET": true, "SECRETS": true, "TOKEN": true, "TOKENS": true, "PASSWORD": true, "PASSWD": true,
	"PASS": true, "KEY": true, "APIKEY": true, "CREDENTIAL": true, "CREDENTIALS": true, "AUTH": true,
	"PRIVATE": true, "SESSION": true, "COOKIE": true, "SIGNATURE": true, "DSN": true,
}

// IsSecretName reports whether an environment variable's name suggests its
// value is a secret.
func IsSecretName(name string) bool {
	for _, part := range strings.FieldsFunc(strings.ToUpper(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if secretWords[part] {
			return true
		}
	}
	return false
}

// RedactEnv returns a copy of env with secret-looking values replaced by
// Redacted: values of secret-named variables, and the password inside URLs
// such as postgres://user:pw@host (kept otherwise, since the host matters for
// provenance). Already-redacted input is returned unchanged.
func RedactEnv(env map[string]string) map[string]string {
	if env == nil {
		return nil
	}
	out := make(map[string]string, len(env))
	for k, v := range env {
		switch {
		case IsSecretName(k) && v != "":
			out[k] = Redacted
		default:
			out[k] = redactURLPassword(v)
		}
	}
	return out
}

func redactURLPassword(v string) string {
	if !strings.Contains(v, "://") || !strings.Contains(v, "@") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.User == nil {
		return v
	}
	if _, has := u.User.Password(); !has {
		return v
	}
	u.User = url.UserPassword(u.User.Username(), "REDACTED")
	return u.String()
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func nanIfNil(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}
