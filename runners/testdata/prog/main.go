// Command prog is the program the runners tests launch, as a local process and,
// built statically, inside FROM-scratch images. Its first argument picks a mode.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: prog MODE ARGS")
		os.Exit(2)
	}
	arg := func(i, def int) int {
		if len(os.Args) > i {
			n, err := strconv.Atoi(os.Args[i])
			if err == nil {
				return n
			}
		}
		return def
	}
	switch os.Args[1] {
	case "metrics": // metrics N [interval_ms]: N JSON lines, a stderr line each
		n, iv := arg(2, 5), arg(3, 0)
		for i := 1; i <= n; i++ {
			fmt.Printf("{\"step\": %d, \"loss\": %g, \"phase\": \"train\"}\n", i, 1/float64(i))
			fmt.Fprintf(os.Stderr, "progress %d/%d\n", i, n)
			if iv > 0 {
				time.Sleep(time.Duration(iv) * time.Millisecond)
			}
		}
		fmt.Print("done without newline")
	case "exit": // exit CODE
		fmt.Println("exiting with", arg(2, 0))
		os.Exit(arg(2, 0))
	case "sleep": // sleep MS: print ticks until killed or MS passed; SIGTERM exits 143 after a line
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM)
		deadline := time.After(time.Duration(arg(2, 60000)) * time.Millisecond)
		t := time.NewTicker(50 * time.Millisecond)
		for i := 0; ; i++ {
			select {
			case <-ch:
				fmt.Println("got SIGTERM")
				os.Exit(143)
			case <-deadline:
				return
			case <-t.C:
				fmt.Println("tick", i)
			}
		}
	case "stubborn": // ignores SIGTERM; only SIGKILL ends it
		signal.Ignore(syscall.SIGTERM)
		fmt.Println("ignoring SIGTERM")
		time.Sleep(time.Hour)
	case "alloc": // alloc MB [delay_ms]: allocate and touch memory
		time.Sleep(time.Duration(arg(3, 0)) * time.Millisecond)
		var keep [][]byte
		for i := 0; i < arg(2, 64); i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			keep = append(keep, b)
		}
		fmt.Println("allocated", len(keep), "MiB")
	case "burn": // burn MB MS: hold MB of touched memory and keep one core busy for MS
		keep := make([]byte, arg(2, 32)<<20)
		for j := range keep {
			keep[j] = byte(j)
		}
		fmt.Println("burning", len(keep)>>20, "MiB")
		end := time.Now().Add(time.Duration(arg(3, 2000)) * time.Millisecond)
		x := 0
		for time.Now().Before(end) {
			for j := 0; j < 1<<16; j++ {
				x += int(keep[j%len(keep)])
			}
		}
		fmt.Println("burnt", x%7, len(keep))
	case "env": // env: print the LATHE_* environment and CUDA_VISIBLE_DEVICES, the params file and argv
		var env []string
		for _, e := range os.Environ() {
			if strings.HasPrefix(e, "LATHE_") || strings.HasPrefix(e, "CUDA_VISIBLE_DEVICES=") {
				env = append(env, e)
			}
		}
		sort.Strings(env)
		for _, e := range env {
			fmt.Println(e)
		}
		if b, err := os.ReadFile(os.Getenv("LATHE_PARAMS_FILE")); err == nil {
			fmt.Println("params-file", strings.Join(strings.Fields(string(b)), " "))
		}
		for _, a := range os.Args[2:] {
			fmt.Printf("arg %q\n", a)
		}
		if d := os.Getenv("LATHE_OUTPUT_DIR"); d != "" {
			if err := os.WriteFile(d+"/result.txt", []byte("ok\n"), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		for _, e := range env {
			if k, v, _ := strings.Cut(e, "="); strings.HasPrefix(k, "LATHE_INPUT_") {
				b, err := os.ReadFile(v)
				fmt.Printf("input %s %q %v\n", k, string(b), err)
			}
		}
	case "stamped": // stamped N [interval_ms]: N JSON lines, each with its print time as metric "printed" (Unix seconds)
		n, iv := arg(2, 5), arg(3, 100)
		for i := 1; i <= n; i++ {
			if i > 1 {
				time.Sleep(time.Duration(iv) * time.Millisecond)
			}
			fmt.Printf("{\"step\": %d, \"loss\": %g, \"printed\": %.6f}\n", i, 1/float64(i), float64(time.Now().UnixMicro())/1e6)
		}
	case "write": // write PATH: try to write PATH and say whether it worked
		if err := os.WriteFile(os.Args[2], []byte("overwritten"), 0o644); err != nil {
			fmt.Println("write refused:", err)
			return
		}
		fmt.Println("write ok")
	case "environ": // environ: every variable's name, sorted, one a line
		var names []string
		for _, e := range os.Environ() {
			k, _, _ := strings.Cut(e, "=")
			names = append(names, k)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Println(n)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}
