package caddymodule

import (
	"context"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

func init() {
	// go-redis prints its own lines (a failed dial, a pool problem) through
	// a package-level logger, plain text on stderr by default: inside
	// Caddy's JSON log they are unparseable and carry no level. Route them
	// through Caddy's logger.
	redis.SetLogger(redisLogger{})
}

// redisLogger writes go-redis's messages as warnings of the x402.redis
// logger (Caddy's default logger at the time of the message, so it follows
// the configured log sinks).
type redisLogger struct{}

func (redisLogger) Printf(_ context.Context, format string, v ...any) {
	caddy.Log().Named("x402.redis").Warn(fmt.Sprintf(format, v...))
}

// drainProgressEvery is how often a stopping runtime says how many
// settlements it still has to finish.
var drainProgressEvery = 2 * time.Second

// closeEngine drains the settlement queue within the drain timeout, saying
// how many settlements are left when it starts, every few seconds while it
// waits, and how it ended: `caddy stop` with pending settlements is not a
// silent wait.
func (rt *appRuntime) closeEngine() {
	timeout := rt.app.drainTimeout()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	q := rt.engine.Queue
	left := 0
	if q != nil {
		left = q.Len()
	}
	if left == 0 {
		rt.engine.Close(ctx)
		return
	}
	start := time.Now()
	rt.log.Info("x402 stopping: settling what is left before exiting", zap.Int("left", left), zap.Duration("drain_timeout", timeout))
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(drainProgressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				rt.log.Info("x402 stopping: settlements still draining", zap.Int("left", q.Len()),
					zap.Duration("elapsed", time.Since(start).Round(time.Millisecond)), zap.Duration("drain_timeout", timeout))
			}
		}
	}()
	rt.engine.Close(ctx)
	close(done)
	if ctx.Err() != nil {
		rt.log.Error("x402 stopping: drain timed out; the journal keeps the unsettled payments and the next start settles them",
			zap.Duration("drain_timeout", timeout), zap.String("journal", rt.files.journal))
		return
	}
	rt.log.Info("x402 stopping: every settlement finished", zap.Int("settled_or_failed", left), zap.Duration("took", time.Since(start).Round(time.Millisecond)))
}
