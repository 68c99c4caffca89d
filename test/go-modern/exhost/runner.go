package main

import (
	"context"
	"io"
	"os/exec"
	"strconv"

	"github.com/hashicorp/go-plugin/runner"
)

// cmdRunner is a minimal runner.Runner for ClientConfig.RunnerFunc (go-plugin's own is internal): it runs the
// command as is. With RunnerFunc, go-plugin makes a socket directory and passes PLUGIN_UNIX_SOCKET_DIR, which is
// what EXHOST_RUNNER=1 is for.
type cmdRunner struct {
	cmd            *exec.Cmd
	stdout, stderr io.ReadCloser
}

var _ runner.Runner = (*cmdRunner)(nil)

func newCmdRunner(cmd *exec.Cmd) (*cmdRunner, error) {
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	return &cmdRunner{cmd: cmd, stdout: stdout, stderr: stderr}, nil
}

func (r *cmdRunner) Start(context.Context) error     { return r.cmd.Start() }
func (r *cmdRunner) Diagnose(context.Context) string { return "" }
func (r *cmdRunner) Stdout() io.ReadCloser           { return r.stdout }
func (r *cmdRunner) Stderr() io.ReadCloser           { return r.stderr }
func (r *cmdRunner) Name() string                    { return r.cmd.Path }
func (r *cmdRunner) Wait(context.Context) error      { return r.cmd.Wait() }
func (r *cmdRunner) Kill(context.Context) error {
	if r.cmd.Process == nil {
		return nil
	}
	return r.cmd.Process.Kill()
}
func (r *cmdRunner) ID() string { return strconv.Itoa(r.cmd.Process.Pid) }
func (r *cmdRunner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }
func (r *cmdRunner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
