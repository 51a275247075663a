package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

func lookupEnv(name string) (string, bool) { return os.LookupEnv(name) }

// env reads env:NAME.
func (c *Cache) env(name string) (string, error) {
	v, ok := c.opts.LookupEnv(name)
	if !ok {
		return "", fmt.Errorf("environment variable %s is not set", name)
	}
	return v, nil
}

// file reads file:PATH, relative to BaseDir, without one trailing newline
// (the one editors and `echo` add).
func (c *Cache) file(path string) (string, error) {
	if !filepath.IsAbs(path) && c.opts.BaseDir != "" {
		path = filepath.Join(c.opts.BaseDir, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		// The *PathError names the path and the cause; nothing of the
		// content.
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("file %s does not exist", path)
		}
		return "", err
	}
	s := string(b)
	if strings.HasSuffix(s, "\r\n") {
		s = s[:len(s)-2]
	} else {
		s = strings.TrimSuffix(s, "\n")
	}
	return s, nil
}
