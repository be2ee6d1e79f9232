package wrap

import (
	"os/exec"
	"unsafe"

	"golang.org/x/sys/windows"
)

// startBound starts cmd inside a job object that kills its processes when
// its last handle closes (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE): gofast
// holds the only handle, and the system closes it when gofast exits,
// however it exits. release closes it after Wait. Should the job not be
// made (a parent's job that forbids nesting), go runs untied rather than
// not at all.
func startBound(cmd *exec.Cmd) (release func(), err error) {
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	job, err := killOnCloseJob()
	if err != nil {
		return func() {}, nil
	}
	p, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(cmd.Process.Pid))
	if err != nil {
		windows.CloseHandle(job)
		return func() {}, nil
	}
	defer windows.CloseHandle(p)
	if err := windows.AssignProcessToJobObject(job, p); err != nil {
		windows.CloseHandle(job)
		return func() {}, nil
	}
	return func() { windows.CloseHandle(job) }, nil
}

func killOnCloseJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, err
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{}
	info.BasicLimitInformation.LimitFlags = windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, err
	}
	return job, nil
}
