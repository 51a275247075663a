package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
	"time"
)

// checkpointer copies committed WAL frames back into the database file on
// its own connection and goroutine, so Apply rarely pays for it: the
// writer runs with wal_autocheckpoint off and kicks the checkpointer after
// each commit. With synchronous=NORMAL the checkpoint is also where the WAL
// is fsynced, so Apply itself does no fsync.
//
// A PASSIVE checkpoint never blocks the writer, but the WAL only restarts
// from its beginning when a write transaction starts with every frame
// copied back. Under constant load that moment may never come, so once the
// WAL holds more than walSoftFrames frames Apply waits for one checkpoint
// to finish before it begins (backpressure), and its transaction restarts
// the WAL. The checkpointer never resets the WAL itself (TRUNCATE or
// RESTART): that changes the WAL header under the writer, which then
// drops its whole page cache.
type checkpointer struct {
	db     *sql.DB
	log    *slog.Logger
	kick   chan struct{}      // a commit happened (never blocks the sender)
	wait   chan chan struct{} // a writer waits; closed when a checkpoint is done
	stop   chan struct{}
	done   chan struct{}
	frames atomic.Int64 // WAL size in frames after the last checkpoint
}

// checkpointEvery spaces routine checkpoints out: a page written by several
// commits in that time is copied back once. It also bounds how long a
// commit stays unsynced under synchronous=NORMAL (plus the checkpoint).
const checkpointEvery = 20 * time.Millisecond

// walSoftFrames is the WAL size (in pages) beyond which Apply waits for a
// checkpoint before writing more.
const walSoftFrames = 8192

func startCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{
		db: db, log: log,
		kick: make(chan struct{}, 1), wait: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	go c.run()
	return c
}

// Kick asks for a checkpoint soon; it never blocks.
func (c *checkpointer) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Throttle waits for a checkpoint if the WAL has grown past walSoftFrames.
// The caller must hold no SQLite lock (Apply calls it before BEGIN), so
// nothing stops the checkpoint from copying every frame.
func (c *checkpointer) Throttle(ctx context.Context) error {
	if c.frames.Load() <= walSoftFrames {
		return nil
	}
	done := make(chan struct{})
	select {
	case c.wait <- done:
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	var last time.Time
	for {
		var waiter chan struct{}
		select {
		case <-c.stop:
			return
		case waiter = <-c.wait:
		case <-c.kick:
			if d := time.Until(last.Add(checkpointEvery)); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case waiter = <-c.wait:
				case <-c.stop:
					t.Stop()
					return
				}
				t.Stop()
			}
		}
		var busy, frames, copied int64
		err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		if err != nil {
			c.log.Warn("sqlite checkpoint failed", "err", err)
		} else {
			c.frames.Store(frames)
		}
		last = time.Now()
		if waiter != nil {
			close(waiter)
		}
	}
}

// Stop ends the goroutine after any running checkpoint and closes the
// connection.
func (c *checkpointer) Stop() error {
	close(c.stop)
	<-c.done
	return c.db.Close()
}
