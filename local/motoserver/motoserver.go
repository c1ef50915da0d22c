// Package motoserver starts a single-threaded moto_server (a local AWS API
// emulator) on a free loopback port for tests, and stops it by PID afterwards.
package motoserver

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

//go:embed serve.py
var serveScript []byte

// InstallHint tells a developer how to get the emulator when it is missing.
const InstallHint = "moto_server is required: run `make moto` (a project-local virtual environment), or pip install 'moto[server]>=5.2' (Python 3.9+)"

// python is the interpreter that has moto: MOTO_PYTHON (the Makefile points
// it at the project's virtual environment when the system Python lacks
// moto), else python3.
func python() string {
	if p := os.Getenv("MOTO_PYTHON"); p != "" {
		return p
	}
	return "python3"
}

// Server is a running emulator.
type Server struct {
	// URL is the endpoint to give the AWS SDK (AWS_ENDPOINT_URL).
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
}

// Start launches the emulator and waits until it answers HTTP.
func Start() (*Server, error) {
	if err := exec.Command(python(), "-c", "import moto.moto_server.werkzeug_app").Run(); err != nil {
		return nil, errors.New(InstallHint)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "motoserver")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "serve.py")
	if err := os.WriteFile(script, serveScript, 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(python(), script, fmt.Sprint(port))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Getenv("MOTO_LOG") != "" {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); os.RemoveAll(dir); close(s.done) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return nil, errors.New("moto_server exited during start (set MOTO_LOG=1 to see why)")
		default:
		}
		resp, err := http.Get(s.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, errors.New("moto_server did not answer within 30s")
}

// Stop kills the emulator's process group and waits for it to exit.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.done
}

// Pause stops the emulator's process without killing it (SIGSTOP), so tests
// can make the database unreachable and bring it back with Resume.
func (s *Server) Pause() error { return syscall.Kill(-s.cmd.Process.Pid, syscall.SIGSTOP) }

// Resume continues a paused emulator.
func (s *Server) Resume() error { return syscall.Kill(-s.cmd.Process.Pid, syscall.SIGCONT) }

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
