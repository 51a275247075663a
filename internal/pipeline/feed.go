package pipeline

import (
	"context"
	"errors"

	"github.com/wardenhq/warden/internal/source"
)

// Feed runs the pipeline while produce sends it records, and returns when
// every record sent has been decided and committed. send blocks while the
// pipeline is busy (back-pressure) and fails once the pipeline has stopped
// (e.g. the store failed), so a producer never blocks on a pipeline that
// is gone. The error is the pipeline's; produce's own error is returned
// only when the pipeline had none.
func (p *Pipeline) Feed(ctx context.Context, produce func(ctx context.Context, send func(source.Record) error) error) error {
	in := make(chan source.Record, 1024)
	done := make(chan error, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		err := p.Run(ctx, in)
		cancel() // the pipeline stopped: stop the producer
		done <- err
	}()
	send := func(r source.Record) error {
		select {
		case in <- r:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	perr := produce(ctx, send)
	close(in)
	if err := <-done; err != nil {
		return err
	}
	if errors.Is(perr, context.Canceled) {
		return nil
	}
	return perr
}
