// Package config loads, layers and validates Lathe's configuration: built-in
// defaults, the user config ($XDG_CONFIG_HOME/lathe/config.yaml), the team
// runners file, the workspace lathe.yaml, LATHE_* environment variables and
// flags. It remembers which layer set each key, and its errors name the file,
// line and column of the problem. It also owns InputError, the error every
// front end maps to exit status 2.
package config
