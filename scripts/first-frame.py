#!/usr/bin/env python3
"""Time from exec to the TUI's first complete frame (the tab bar's last word
drawn) on an 80x24 pseudo-terminal. Usage: first-frame.py BIN ARGS... ; prints
the median of 20 runs in milliseconds. Needs only Python's standard library."""
import fcntl, os, pty, select, signal, statistics, struct, sys, termios, time

def once(argv):
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm-256color"
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    start, buf = time.monotonic(), b""
    while b"Runners" not in buf:
        r, _, _ = select.select([fd], [], [], 10)
        if not r:
            raise SystemExit("no frame within 10 s")
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        # Answer the terminal queries Bubble Tea sends, as a terminal would.
        if b"\x1b]11;?" in chunk:
            os.write(fd, b"\x1b]11;rgb:0000/0000/0000\x07")
        buf += chunk
    took = time.monotonic() - start
    os.write(fd, b"q")
    os.waitpid(pid, 0)
    os.close(fd)
    return took * 1000

runs = [once(sys.argv[1:]) for _ in range(20)]
print(f"first frame: median {statistics.median(runs):.1f} ms (min {min(runs):.1f}, max {max(runs):.1f}, n={len(runs)})")
