package pgtest

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// shutdownSignal asks the postmaster for an immediate shutdown.
const shutdownSignal = syscall.SIGQUIT

// procAttr runs a program as id (when not nil), and has the kernel send
// it shutdownSignal when the test binary's thread that started it dies.
// Go sets the parent-death signal after changing the IDs, which would
// otherwise clear it.
func procAttr(id *identity) *syscall.SysProcAttr {
	attr := &syscall.SysProcAttr{Pdeathsig: shutdownSignal}
	if id != nil {
		attr.Credential = &syscall.Credential{Uid: id.uid, Gid: id.gid, NoSetGroups: false, Groups: []uint32{}}
	}
	return attr
}

// crash kills the postmaster pid and its children (each backend leads a
// process group of its own, so one signal to a group cannot): the
// postmaster is stopped first, so that it forks no new child meanwhile.
// It returns once the children are gone (or zombies), so that their
// shared memory is free for a restart; the caller waits for the
// postmaster.
func crash(pid int) {
	syscall.Kill(pid, syscall.SIGSTOP)
	kids := children(pid)
	for _, child := range kids {
		syscall.Kill(child, syscall.SIGKILL)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	deadline := time.Now().Add(10 * time.Second)
	for _, child := range kids {
		for alive(child) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// signalAll stops (SIGSTOP) or continues (SIGCONT) the postmaster pid
// and its children: the postmaster first when stopping, last when
// continuing, so that it forks no child the signal misses.
func signalAll(pid int, stop bool) {
	if !stop {
		for _, child := range children(pid) {
			syscall.Kill(child, syscall.SIGCONT)
		}
		syscall.Kill(pid, syscall.SIGCONT)
		return
	}
	syscall.Kill(pid, syscall.SIGSTOP)
	for _, child := range children(pid) {
		syscall.Kill(child, syscall.SIGSTOP)
	}
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

// children lists the processes whose parent is pid, from /proc.
func children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
		fields := strings.Fields(rest)
		if len(fields) < 2 || fields[1] != strconv.Itoa(pid) {
			continue
		}
		if child, err := strconv.Atoi(filepath.Base(filepath.Dir(path))); err == nil {
			out = append(out, child)
		}
	}
	return out
}
