package policy

import (
	"context"
	"os/exec"
	"strings"
	"time"
)

// gitCommit returns the commit the policy repo is at ("" when dir is not in
// a git checkout or git is not installed), with "-dirty" appended when
// files under dir differ from that commit: a decision must never claim a
// commit whose policies it did not run.
func gitCommit(dir string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(out))
	st, err := exec.CommandContext(ctx, "git", "-C", dir, "status", "--porcelain", "--", ".").Output()
	if err == nil && len(strings.TrimSpace(string(st))) > 0 {
		commit += "-dirty"
	}
	return commit
}
