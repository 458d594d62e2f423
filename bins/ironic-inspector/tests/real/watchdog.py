"""Runs a command for as long as this process's standard input stays open.

The real-server tests start every server through this script and hold its
standard input: when the test process ends, however it ends, the pipe closes
and the server's whole process group is stopped (SIGTERM, then SIGKILL after
ten seconds). The exit code is the command's.

Usage: python3 watchdog.py COMMAND [ARGUMENT...]
"""

import os
import signal
import subprocess
import sys
import threading


def stop(child):
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        child.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)


def main():
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL,
                             start_new_session=True)

    def watch():
        sys.stdin.buffer.read()
        stop(child)

    threading.Thread(target=watch, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: stop(child))
    sys.exit(child.wait())


if __name__ == '__main__':
    main()
