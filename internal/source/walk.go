package source

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/wardenhq/warden/internal/finding"
)

// readDir reads every regular file under root in lexical order (the order
// filepath.WalkDir visits), skipping files and folders whose name starts
// with a dot. Symbolic links to files are read; links to folders are not
// followed, so a link cycle cannot loop.
func readDir(ctx context.Context, root string, fn func(Record) error, onErr func(error)) error {
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == root {
				return fmt.Errorf("reading folder %s: %w", root, err)
			}
			onErr(&Error{Origin: finding.Origin{Source: path}, File: true, Err: fmt.Errorf("listing: %w", err)})
			if d != nil && d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if path != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			info, err := os.Stat(path)
			if err != nil || !info.Mode().IsRegular() {
				return nil
			}
		case !d.Type().IsRegular():
			return nil
		}
		return readFile(ctx, path, fn, onErr)
	})
	return err
}
