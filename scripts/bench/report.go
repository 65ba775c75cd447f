package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// The goals (issue 15 and the earlier ones), as the report checks them.
const (
	goalCallsPerListener500 = 2.2  // first delivery, calls per listener at 500 listeners
	goalRedelivery500       = 1.1  // redelivery, calls per listener at 500 listeners
	goalCriticalListener    = 5    // dependent round trips, a listener target
	goalCritical1           = 6    // dependent round trips, a region-wide target with one listener
	goalVsSequential        = 1.0  // default faster than the sequential baseline: ratio above this
	goalDefault500          = 40.0 // seconds, 500 listeners with the defaults
	goalColdStart           = 1.4  // × hello
	goalRSS500              = 64.0 // MB
	goalZip                 = 8.0  // MB
	goalVsBound             = 1.2  // rotate500_vs_bound and audit500_vs_bound
)

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func secs(d time.Duration) string {
	if d < time.Second {
		return ms(d)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func mb(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }

func ratio(r float64) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r)
}

// verdict is "met" or "NOT met".
func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

func report(out io.Writer, res results) {
	fmt.Fprintf(out, "certrotate bench — %s %s/%s, %d CPUs; MB = 10^6 bytes\n\n", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	hello := median(res.cold["hello"])
	fmt.Fprintf(tw, "binary\tcold start (median of %d)\tvs hello\tmin\tmax\tbinary\tlambda zip\t\n", *runs)
	for _, n := range []string{"hello", "rotate", "notify"} {
		m := median(res.cold[n])
		fmt.Fprintf(tw, "%s\t%s\t%.2f×\t%s\t%s\t%s\t%s\t\n", n, ms(m), float64(m)/float64(hello),
			ms(slices.Min(res.cold[n])), ms(slices.Max(res.cold[n])), mb(res.sizes[n][0]), mb(res.sizes[n][1]))
	}
	_ = tw.Flush()

	conc, qps0, qpsMax := defaults()
	var at500, largest *sizeRow
	chain := 0
	if len(res.rows) > 0 {
		chain = shortestChain(res.rows)
		fmt.Fprintf(out, "\nrotation: N HTTPS listeners over %d load balancers (target: the region), %v per call\n", *lbs, *latency)
		fmt.Fprintf(out, "default: no ROTATE_CONCURRENCY / ROTATE_QPS / ROTATE_QPS_MAX set (concurrency %d, rate %g/s rising to at most %g/s)\n", conc, qps0, qpsMax)
		fmt.Fprintf(out, "sequential: ROTATE_CONCURRENCY=1 ROTATE_QPS=1000 ROTATE_QPS_MAX=1000 (one call at a time, no rate limit in effect)\n")
		fmt.Fprintf(out, "bound = max(%d × %v, ⌈calls / %d⌉ × %v, (calls − %d)/%g + %v): the shortest critical path, the default concurrency, the rate ceiling\n\n",
			chain, *latency, conc, *latency, burst(qps0), qpsMax, *latency)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "listeners\tcalls\tper listener\tcritical path\tdefault\tbound\tvs bound\tsequential\tseq ÷ default\tpeak RSS\t\n")
		for i, r := range res.rows {
			seq := "-"
			if r.seq.wall > 0 {
				seq = secs(r.seq.wall)
			}
			fmt.Fprintf(tw, "%d\t%d\t%.2f\t%d\t%s\t%s\t%.2f\t%s\t%s\t%.1f MB\t\n", r.listeners, r.def.calls, r.def.perListener(r.listeners), r.def.critical,
				secs(r.def.wall), secs(r.bound), float64(r.def.wall)/float64(r.bound), seq, ratio(r.ratio()), r.def.rssMB)
			if r.listeners == 500 {
				at500 = &res.rows[i]
			}
			if r.redelivery != nil {
				largest = &res.rows[i]
			}
		}
		_ = tw.Flush()
		if largest != nil {
			l := largest
			fmt.Fprintf(out, "\ncalls at %d listeners (default): %s\n", l.listeners, l.def.actions())
			fmt.Fprintf(out, "redelivery at %d listeners (the same event again, every place unchanged): %d calls, %.2f per listener, critical path %d, %s\n  calls: %s\n",
				l.listeners, l.redelivery.calls, l.redelivery.perListener(l.listeners), l.redelivery.critical, secs(l.redelivery.wall), l.redelivery.actions())
		}
	}
	if m := res.listener; m != nil {
		fmt.Fprintf(out, "listener target lb-00:443 (one listener, defaults): %d calls, critical path %d, %s\n  calls: %s\n", m.calls, m.critical, secs(m.wall), m.actions())
	}
	if h := res.huawei; h != nil {
		fmt.Fprintf(out, "\nHuawei ELB: %d HTTPS listeners over %d load balancers (one listener_id target each), %v per call\n\n", h.listeners, huaweiLBs, *latency)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "listeners\tcalls\tper listener\tcritical path\tdefault\tsequential\tseq ÷ default\tpeak RSS\t\n")
		seq := "-"
		if h.seq.wall > 0 {
			seq = secs(h.seq.wall)
		}
		fmt.Fprintf(tw, "%d\t%d\t%.2f\t%d\t%s\t%s\t%s\t%.1f MB\t\n", h.listeners, h.def.calls, h.def.perListener(h.listeners), h.def.critical,
			secs(h.def.wall), seq, ratio(h.ratio()), h.def.rssMB)
		_ = tw.Flush()
		fmt.Fprintf(out, "calls (default): %s\n", h.def.actions())
	}
	if res.albnlb != nil {
		reportALBNLB(out, *lbListeners, *res.albnlb)
	}
	audit := reportAudit(out, res.audit)

	// Goals and the summary.
	na := "n/a"
	coldRatio := float64(max(median(res.cold["rotate"]), median(res.cold["notify"]))) / float64(hello)
	zipMB := float64(max(res.sizes["rotate"][1], res.sizes["notify"][1])) / 1e6
	var goals []string
	goal := func(n int, format string, a ...any) {
		goals = append(goals, fmt.Sprintf("goal %d: ", n)+fmt.Sprintf(format, a...))
	}
	sum := map[string]string{"rotate500_vs_bound": na, "rss500_mb": na, "audit500_vs_bound": audit, "calls_per_listener500": na,
		"critical_path1": na, "default500_s": na, "vs_sequential_min": na, "redelivery_calls_per_listener500": na, "critical_path_listener": na,
		"cold_start_vs_hello": fmt.Sprintf("%.2f", coldRatio), "zip_mb": fmt.Sprintf("%.2f", zipMB)}

	if at500 != nil {
		v := at500.def.perListener(500)
		sum["calls_per_listener500"] = fmt.Sprintf("%.2f", v)
		goal(1, "calls per listener at 500 = %.2f (≤ %.1f) %s", v, goalCallsPerListener500, verdict(v <= goalCallsPerListener500))
	} else {
		goal(1, "calls per listener at 500: not measured")
	}
	if largest != nil {
		v := largest.redelivery.perListener(largest.listeners)
		if largest.listeners == 500 {
			sum["redelivery_calls_per_listener500"] = fmt.Sprintf("%.2f", v)
			goal(1, "redelivery calls per listener at 500 = %.2f (≤ %.1f) %s", v, goalRedelivery500, verdict(v <= goalRedelivery500))
		} else {
			goal(1, "redelivery calls per listener at %d = %.2f (≤ %.1f, goal at 500) %s", largest.listeners, v, goalRedelivery500, verdict(v <= goalRedelivery500))
		}
	}
	if m := res.listener; m != nil {
		sum["critical_path_listener"] = fmt.Sprint(m.critical)
		goal(2, "critical path, listener target = %d (≤ %d) %s", m.critical, goalCriticalListener, verdict(m.critical <= goalCriticalListener))
	}
	if i := slices.IndexFunc(res.rows, func(r sizeRow) bool { return r.listeners == 1 }); i >= 0 {
		v := res.rows[i].def.critical
		sum["critical_path1"] = fmt.Sprint(v)
		goal(2, "critical path, region-wide target with one listener = %d (≤ %d) %s", v, goalCritical1, verdict(v <= goalCritical1))
	} else {
		goal(2, "critical path, region-wide target with one listener: not measured")
	}
	if len(res.rows) > 0 && res.rows[0].seq.wall > 0 {
		worst := slices.MinFunc(res.rows, func(a, b sizeRow) int { return cmp.Compare(a.ratio(), b.ratio()) })
		var sizes []string
		for _, r := range res.rows {
			sizes = append(sizes, fmt.Sprint(r.listeners))
		}
		sum["vs_sequential_min"] = fmt.Sprintf("%.2f", worst.ratio())
		goal(3, "sequential ÷ default, smallest over %s listeners = %.2f (at %d; > %g) %s", strings.Join(sizes, ", "), worst.ratio(), worst.listeners,
			goalVsSequential, verdict(worst.ratio() > goalVsSequential))
	} else {
		goal(3, "sequential ÷ default: no sequential baseline run")
	}
	if at500 != nil {
		v := at500.def.wall.Seconds()
		sum["default500_s"] = fmt.Sprintf("%.2f", v)
		sum["rss500_mb"] = fmt.Sprintf("%.2f", at500.def.rssMB)
		sum["rotate500_vs_bound"] = fmt.Sprintf("%.2f", float64(at500.def.wall)/float64(at500.bound))
		goal(3, "500 listeners with the defaults = %.2f s (≤ %g s) %s", v, goalDefault500, verdict(v <= goalDefault500))
	} else {
		goal(3, "500 listeners with the defaults: not measured")
	}
	goal(4, "cold start = %.2f × hello (≤ %.1f) %s", coldRatio, goalColdStart, verdict(coldRatio <= goalColdStart))
	if at500 != nil {
		goal(4, "peak RSS at 500 = %.1f MB (≤ %g MB) %s", at500.def.rssMB, goalRSS500, verdict(at500.def.rssMB <= goalRSS500))
	} else {
		goal(4, "peak RSS at 500: not measured")
	}
	goal(4, "Lambda zip = %.2f MB (≤ %g MB) %s", zipMB, goalZip, verdict(zipMB <= goalZip))
	huaweiKey := ""
	if h := res.huawei; h != nil && h.seq.wall > 0 {
		huaweiKey = fmt.Sprintf("huawei%d_vs_sequential", h.listeners)
		sum[huaweiKey] = fmt.Sprintf("%.2f", h.ratio())
		goal(4, "Huawei ELB %d listeners, sequential ÷ default = %.2f (> %g) %s; %.2f calls per listener, critical path %d",
			h.listeners, h.ratio(), goalVsSequential, verdict(h.ratio() > goalVsSequential), h.def.perListener(h.listeners), h.def.critical)
	}
	if at500 != nil {
		v := float64(at500.def.wall) / float64(at500.bound)
		goals = append(goals, fmt.Sprintf("earlier: 500 listeners with the defaults = %.2f × bound (≤ %.1f) %s", v, goalVsBound, verdict(v <= goalVsBound)))
	}
	if a := res.audit; a != nil {
		v := float64(a.wall) / float64(a.bound())
		goals = append(goals, fmt.Sprintf("earlier: audit of %d listeners = %.2f × bound (≤ %.1f) %s", a.places, v, goalVsBound, verdict(v <= goalVsBound)))
	}
	fmt.Fprintf(out, "\n%s\n", strings.Join(goals, "\n"))

	keys := []string{"rotate500_vs_bound", "cold_start_vs_hello", "rss500_mb", "zip_mb", "audit500_vs_bound",
		"calls_per_listener500", "critical_path1", "default500_s", "vs_sequential_min",
		"redelivery_calls_per_listener500", "critical_path_listener"}
	if huaweiKey != "" {
		keys = append(keys, huaweiKey)
	}
	var parts []string
	for _, k := range keys {
		parts = append(parts, k+"="+sum[k])
	}
	fmt.Fprintf(out, "\nbench %s\n", strings.Join(parts, " "))
}
