//go:build tools

// Package tools pins the kube-apiserver that the Kubernetes runner's tests
// run against (.ci/services.sh builds it once and caches the binary). It is
// a module of its own, so the k8s.io/kubernetes module and its staging
// replace directives never reach Lathe's own go.mod.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
