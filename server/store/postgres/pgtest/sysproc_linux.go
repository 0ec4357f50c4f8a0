package pgtest

import "syscall"

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
