# Lathe: build, run, test. See README.md.
GO      ?= go
BIN     ?= bin/lathe
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
PKGS    := ./...
IMAGE   ?= lathe-trainer:dev

.PHONY: build run test bench bench-tuner lint image clean

## build: the static lathe binary in bin/
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/lathe

## run: build and open Lathe on the demo workspace
run: build
	./$(BIN) demo

## test: every test, race detector on (needs dockerd, sshd and tmux: see .ci/run)
test:
	$(GO) test -race -count=1 -timeout 25m $(PKGS)

## bench: benchmarks that print figures (not run by make test)
bench:
	$(GO) test -run '^$$' -bench . -skip Tuner -benchmem -benchtime 3x -timeout 60m $(PKGS)

## bench-tuner: the optimizer's benchmark table (long)
bench-tuner:
	$(GO) test ./optimizer -run '^$$' -bench Tuner -benchtime 1x -timeout 120m

## lint: gofmt check, go vet, the architecture rules (front ends only through the
## engine, dependencies one way: engine/arch_test.go), staticcheck when installable
lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) test ./engine -count=1 -run 'TestFrontEndsGoThroughTheEngine|TestDependenciesPointOneWay' 
	@if command -v staticcheck >/dev/null 2>&1 || $(GO) install honnef.co/go/tools/cmd/staticcheck@latest >/dev/null 2>&1; then \
		PATH="$$PATH:$$($(GO) env GOPATH)/bin" staticcheck $(PKGS); \
	else echo "staticcheck not installable here; skipped"; fi

## image: the example trainer (examples/trainer) as the FROM-scratch image $(IMAGE)
## (no base image is pulled: the static binary is the whole image)
image:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o examples/trainer/trainer ./examples/trainer
	docker build -q -t $(IMAGE) examples/trainer; s=$$?; rm -f examples/trainer/trainer; exit $$s
	@echo "built $(IMAGE); try: lathe run --runner docker --image $(IMAGE) -- /trainer --epochs 20"

clean:
	rm -rf bin
