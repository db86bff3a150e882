package main

import "runtime"

func versionInfo() map[string]string {
	return map[string]string{
		"version": version,
		"go":      runtime.Version(),
		"os":      runtime.GOOS,
		"arch":    runtime.GOARCH,
	}
}
