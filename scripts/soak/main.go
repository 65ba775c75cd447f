// Command soak runs many rotations against the emulator under injected faults and crashes and
// prints, last, "soak runs=N converged=N duplicates=0 gaps=0 foreign_deleted=0 key_leaks=0".
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/certrotate/certrotate/shared/soak"
)

func main() {
	var opt soak.Options
	flag.IntVar(&opt.Runs, "runs", 1000, "rotations to run")
	flag.Float64Var(&opt.FaultRate, "faults", 0.2, "share of calls answered with throttling or 5xx")
	flag.Float64Var(&opt.CrashRate, "crashes", 0.3, "share of deliveries killed after a random number of mutating calls")
	flag.Uint64Var(&opt.Seed, "seed", uint64(time.Now().UnixNano()), "random seed")
	flag.DurationVar(&opt.ConfiguringWindow, "configuring-window", 100*time.Millisecond,
		"how long a load balancer refuses writes after each write, as real CLB does (0: off)")
	flag.Parse()
	start := time.Now()
	last := start
	opt.Progress = func(done, total int) {
		if now := time.Now(); now.Sub(last) >= 5*time.Second || done == total {
			last = now
			fmt.Fprintf(os.Stderr, "soaking %d of %d (%s)\n", done, total, now.Sub(start).Round(time.Second))
		}
	}
	res, err := soak.Run(context.Background(), opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
	fmt.Printf("seed=%d deliveries=%d crashes=%d busy=%d elapsed=%s\n", opt.Seed, res.Deliveries, res.Crashes, res.Busy, time.Since(start).Round(time.Millisecond))
	fmt.Println(res)
	if res.Converged != res.Runs || res.Duplicates+res.Gaps+res.ForeignDeleted+res.KeyLeaks > 0 {
		os.Exit(1)
	}
}
