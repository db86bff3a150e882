package config

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Store says where a workspace's records live: the embedded SQLite file
// (.lathe/store.db) when URL is empty, else a team's shared PostgreSQL.
type Store struct {
	// URL is postgres://user@host[:port]/db?sslmode=... The password is never
	// part of it in a file: it comes from PGPASSWORD, ~/.pgpass, or the
	// variable PasswordEnv names.
	URL string `json:"url"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `json:"password_env,omitempty"`
}

// Shared reports whether the store is a shared PostgreSQL.
func (s Store) Shared() bool { return s.URL != "" }

// RedactURL hides a store URL's password (in its user info or a password
// query parameter), for messages, logs and `lathe config show`.
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		if strings.Contains(s, "@") || strings.Contains(strings.ToLower(s), "password") {
			return "(an unparsable URL, not shown)"
		}
		return s
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// URLHasPassword reports whether a store URL carries a password.
func URLHasPassword(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			return true
		}
	}
	return u.Query().Has("password")
}

// checkStoreURL validates a store setting; inFile refuses a password,
// which would then sit in a file teams commit.
func checkStoreURL(s string, inFile bool) string {
	if s == "" {
		return ""
	}
	valid := "valid: empty (the workspace's own SQLite store) or postgres://user@host[:port]/database?sslmode=require"
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%s is not a URL; %s", RedactURL(s), valid)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Sprintf("%q: the scheme must be postgres:// (or postgresql://); %s", RedactURL(s), valid)
	}
	if inFile && URLHasPassword(s) {
		return fmt.Sprintf("%s contains a password, and Lathe never reads secrets from config files: "+
			"remove it and set PGPASSWORD, use ~/.pgpass, or name a variable with store: {url: ..., password_env: NAME}", RedactURL(s))
	}
	if u.Host == "" && u.Query().Get("host") == "" {
		return fmt.Sprintf("%s names no server; %s", RedactURL(s), valid)
	}
	if strings.Trim(u.Path, "/") == "" && u.Query().Get("dbname") == "" {
		return fmt.Sprintf("%s names no database (postgres://user@host/DATABASE); %s", RedactURL(s), valid)
	}
	return ""
}

// MarshalJSON writes the URL with its password redacted (`lathe config
// show --json`).
func (s Store) MarshalJSON() ([]byte, error) {
	type plain Store
	p := plain(s)
	p.URL = RedactURL(p.URL)
	return json.Marshal(p)
}
