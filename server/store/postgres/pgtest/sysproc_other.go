//go:build !linux

package pgtest

import (
	"os"
	"syscall"
)

// shutdownSignal asks the postmaster for an immediate shutdown.
var shutdownSignal os.Signal = os.Interrupt

// procAttr leaves the program as the current user: only the Linux build
// changes users (for a root test run) and ties the server's life to the
// test binary's.
func procAttr(*identity) *syscall.SysProcAttr { return nil }

// crash kills the postmaster pid; its children are left to notice.
func crash(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

// signalAll cannot stop a process here: a frozen server is Linux's test.
func signalAll(int, bool) {}
